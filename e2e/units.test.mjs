// Browser end-to-end test of couples and families on the demo practice, through the pages only: a primary
// clinician starts a couple from her client's page, finds the partner with the directory's search (no capped
// list), creates the couple, opens it (both partners linked), and starts a joint note from it, which the couple's
// page then lists. The new-unit form and the couple's page pass an axe-core scan.
//
// Run by scripts/test as `node --test e2e/` with RAPPORT_BIN set to the built binary. Needs Debian's chromium
// and playwright-core (npm ci --prefix e2e).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  BIN, FAILING_IMPACTS, RESULTS, axeScan, describeViolation, launchBrowser, pathIs, signInEnrollingTotp,
  startDemoPractice,
} from './helpers.mjs';

// A demo clinician and supervisor, primary clinician of some demo clients.
const CLINICIAN_EMAIL = 'helena.marsh@demo.rapport.test';
const DEMO_PASSWORD = 'rapport demo 2026';
const UNIT_PATH = /^\/units\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const NOTE_PATH = /^\/notes\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let practice;
let server;
let browser;
let anyFailed = false;

describe('couples and families', () => {
  before(async () => {
    assert.ok(BIN, 'RAPPORT_BIN must point to the rapport binary (scripts/test sets it)');
    mkdirSync(RESULTS, { recursive: true });
    practice = await startDemoPractice({ name: 'units' });
    ({ server } = practice);
    browser = await launchBrowser();
  }, { timeout: 90_000 });

  after(async () => {
    await browser?.close();
    if (anyFailed) console.error(`--- rapport serve output ---\n${server?.log ?? ''}`);
    await practice?.stop();
  });

  test('a primary clinician creates a couple from the client page, opens it and writes a joint note', { timeout: 180_000 }, async () => {
    // bypassCSP only so that axe-core can be injected.
    const context = await browser.newContext({ baseURL: server.base, bypassCSP: true });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const violations = [];
    try {
      await signInEnrollingTotp(page, CLINICIAN_EMAIL, DEMO_PASSWORD);

      // Two clients of hers whose pages offer a new couple or family (she is on their care teams, not only
      // supervising someone who is).
      await page.goto('/clients');
      const links = await page.locator('table tbody a[href^="/clients/"]').evaluateAll(
        (as) => as.map((a) => a.getAttribute('href')),
      );
      const mine = [];
      for (const href of links.slice(0, 30)) {
        await page.goto(href);
        const start = page.getByRole('link', { name: /^New couple or family with / });
        if (await start.count()) {
          mine.push({ href, name: (await page.locator('h1').textContent()).replace(/\s*\(.*\)\s*$/, '').trim() });
          if (mine.length === 2) break;
        }
      }
      assert.equal(mine.length, 2, `two of ${links.length} listed clients offer "New couple or family"`);
      const [first, partner] = mine;

      // From the first client's page, find the partner by name with the search, add her, and create the couple.
      await page.goto(first.href);
      await page.getByRole('link', { name: /^New couple or family with / }).click();
      await page.waitForURL(pathIs('/units/new'));
      await page.getByLabel('Find a client by name').fill(partner.name);
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      await page.locator('ul.candidates').waitFor();
      violations.push(...(await axeScan(page)));
      await page.locator('ul.candidates li').filter({ hasText: partner.name }).first()
        .getByRole('link', { name: /^Add / }).click();
      await page.locator('section[aria-labelledby="picked-h"]').filter({ hasText: partner.name }).waitFor();
      await page.getByLabel('Couple (two partners)').check();
      await page.getByLabel('Name', { exact: true }).fill('Couple of the browser test');
      await page.getByRole('button', { name: 'Create' }).click();
      await page.waitForURL((u) => UNIT_PATH.test(u.pathname));
      const unitPath = new URL(page.url()).pathname;

      // The couple's page names and links both partners, in words ("Couple", not its code).
      assert.match(await page.locator('h1').textContent(), /Couple of the browser test/);
      assert.equal(await page.locator('.head-row .tag').first().textContent(), 'Couple');
      const members = page.locator('#members');
      for (const c of [first, partner]) {
        assert.equal(await members.locator(`a[href="${c.href}"]`).count(), 1, `${c.name} is linked`);
      }
      violations.push(...(await axeScan(page)));

      // The client's page links to the couple.
      await page.goto(first.href);
      await page.getByRole('link', { name: 'Couple of the browser test' }).click();
      await page.waitForURL(pathIs(unitPath));

      // A joint note, started from the couple's page, is listed there.
      await page.locator('#joint-template').selectOption({ label: 'Progress note (SOAP)' });
      await page.getByRole('button', { name: 'Start joint note' }).click();
      await page.waitForURL((u) => NOTE_PATH.test(u.pathname));
      const notePath = new URL(page.url()).pathname;
      await page.getByLabel('Subjective').fill('Both partners describe fewer arguments this week.');
      await page.getByRole('button', { name: 'Save draft' }).click();
      await page.waitForURL((u) => u.pathname === notePath);
      await page.goto(unitPath);
      await page.locator(`section[aria-labelledby="joint-h"] a[href="${notePath}"]`).waitFor();
      violations.push(...(await axeScan(page)));
    } catch (err) {
      anyFailed = true;
      const file = join(RESULTS, 'failed-units.png');
      await page.screenshot({ path: file, fullPage: true }).catch(() => {});
      err.message += `\n(page: ${page.url()}; screenshot: ${file})`;
      throw err;
    } finally {
      await context.close();
    }
    const failing = violations.filter((v) => FAILING_IMPACTS.has(v.impact));
    assert.equal(failing.length, 0, `axe-core:\n${failing.map(describeViolation).join('\n')}`);
  });
});
