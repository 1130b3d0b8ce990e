// Browser end-to-end test of break-the-glass emergency access on the demo
// practice: a clinician who is not on a client's care team opens the client's
// record from the "Emergency access" page (a reason that is too short is
// refused beside the field), lands on the client's page under an emergency
// banner, and an administrator then finds the access with what was read in
// the review register and records a finding. The emergency page, the client
// page under emergency access and the register pass an axe-core scan.
//
// Run by scripts/test as `node --test e2e/` with RAPPORT_BIN set to the built
// binary. Needs Debian's chromium and playwright-core (npm ci --prefix e2e).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  BIN, FAILING_IMPACTS, RESULTS, axeScan, describeViolation, launchBrowser, pathIs, signInEnrollingTotp,
  startDemoPractice,
} from './helpers.mjs';

const ADMIN_EMAIL = 'olivia.grant@demo.rapport.test';
const DEMO_PASSWORD = 'rapport demo 2026';
// Demo clinicians who supervise nobody: one of them is not on the chosen client's care team.
const CLINICIANS = [
  ['Noor Haddad', 'noor.haddad@demo.rapport.test'],
  ['Marcus Oyelaran', 'marcus.oyelaran@demo.rapport.test'],
  ['Sofia Reyes', 'sofia.reyes@demo.rapport.test'],
];
const REASON = 'Crisis line call at 02:10: the client reports an overdose; the care team cannot be reached.';

let practice;
let server;
let browser;
let anyFailed = false;

describe('emergency access', () => {
  before(async () => {
    assert.ok(BIN, 'RAPPORT_BIN must point to the rapport binary (scripts/test sets it)');
    mkdirSync(RESULTS, { recursive: true });
    practice = await startDemoPractice({ name: 'emergency' });
    ({ server } = practice);
    browser = await launchBrowser();
  }, { timeout: 90_000 });

  after(async () => {
    await browser?.close();
    if (anyFailed) console.error(`--- rapport serve output ---\n${server?.log ?? ''}`);
    await practice?.stop();
  });

  test('break the glass for a client outside one\'s caseload, then review it', { timeout: 180_000 }, async () => {
    // bypassCSP only so that axe-core can be injected.
    const adminContext = await browser.newContext({ baseURL: server.base, bypassCSP: true });
    const admin = await adminContext.newPage();
    admin.setDefaultTimeout(15_000);
    const clinContext = await browser.newContext({ baseURL: server.base, bypassCSP: true });
    const clin = await clinContext.newPage();
    clin.setDefaultTimeout(15_000);
    const violations = [];
    let current = admin;
    try {
      // The administrator knows the client: name, date of birth and care team from the client's page.
      await signInEnrollingTotp(admin, ADMIN_EMAIL, DEMO_PASSWORD);
      await admin.goto('/clients');
      const clientPath = await admin.locator('table tbody a[href^="/clients/"]').first().getAttribute('href');
      await admin.goto(clientPath);
      const legalName = (await admin.locator('h1').textContent()).trim();
      const born = (await admin.locator('dt', { hasText: 'Date of birth' }).locator('xpath=following-sibling::dd[1]').textContent()).trim().slice(0, 10);
      assert.match(born, /^\d{4}-\d{2}-\d{2}$/);
      const team = await admin.locator('h2', { hasText: 'Care team' }).locator('xpath=following-sibling::ul[1]').textContent();
      const [clinName, clinEmail] = CLINICIANS.find(([name]) => !team.includes(name));
      assert.ok(clinEmail, `every candidate is on the care team: ${team}`);

      // The clinician outside the care team cannot open the record, then breaks the glass.
      current = clin;
      await signInEnrollingTotp(clin, clinEmail, DEMO_PASSWORD);
      const before = await clin.goto(clientPath);
      assert.equal(before.status(), 404, 'the record does not exist for someone off the care team');
      await clin.getByRole('link', { name: 'Emergency access' }).click();
      await clin.waitForURL(pathIs('/emergency'));
      violations.push(...(await axeScan(clin)));
      await clin.getByLabel('The client\'s legal name, exactly').fill(legalName.toUpperCase());
      await clin.getByLabel('Date of birth').fill(born);
      await clin.getByLabel('Why you need this record now').fill('urgent');
      await clin.getByRole('button', { name: 'Open the record in an emergency' }).click();
      await clin.locator('#reason-e').filter({ hasText: 'at least 20 characters' }).waitFor();
      await clin.getByLabel('Why you need this record now').fill(REASON);
      await clin.getByRole('button', { name: 'Open the record in an emergency' }).click();
      await clin.waitForURL((u) => u.pathname === clientPath);
      const banner = clin.locator('.alert-banner');
      await banner.waitFor();
      assert.match(await banner.textContent(), /Emergency access until .* You can read this record but not change or copy it/);
      violations.push(...(await axeScan(clin)));
      // The notes can be read under emergency access, but no note can be started.
      await clin.getByRole('navigation', { name: 'Sections of the record' }).getByRole('link', { name: 'Notes' }).click();
      await clin.waitForURL((u) => u.pathname === clientPath && u.search === '?section=notes');
      await clin.locator('section[aria-labelledby="notes-h"]').waitFor();
      assert.equal(await clin.locator('#note-template').count(), 0, 'no note can be started under emergency access');
      assert.equal(await clin.locator('.alert-banner').count(), 1, 'the banner stays on every section');

      // The administrator reviews it: the reason and what was read, then a finding.
      current = admin;
      await admin.goto('/admin/emergency-access');
      const card = admin.locator('article.emergency').first();
      assert.match(await card.locator('h2').textContent(), new RegExp(`${clinName} → ${legalName}`));
      assert.match(await card.textContent(), /not reviewed/);
      assert.match(await card.textContent(), /Crisis line call at 02:10/);
      assert.match(await card.locator('ul.reads').textContent(), /emergency\.open/);
      violations.push(...(await axeScan(admin)));
      await card.getByRole('radio', { name: 'Appropriate', exact: true }).check();
      await card.getByLabel('Note (optional)').fill('Called the crisis team; appropriate.');
      await card.getByRole('button', { name: /Record the review/ }).click();
      await admin.waitForURL((u) => u.pathname === '/admin/emergency-access' && u.search === '?done=reviewed');
      await admin.getByRole('status').filter({ hasText: 'Review recorded.' }).waitFor();
      assert.match(await admin.locator('article.emergency').first().textContent(), /Appropriate/);
    } catch (err) {
      anyFailed = true;
      const file = join(RESULTS, 'failed-emergency.png');
      await current.screenshot({ path: file, fullPage: true }).catch(() => {});
      err.message += `\n(page: ${current.url()}; screenshot: ${file})`;
      throw err;
    } finally {
      await adminContext.close();
      await clinContext.close();
    }
    const warnings = violations.filter((v) => !FAILING_IMPACTS.has(v.impact));
    if (warnings.length > 0) {
      console.warn(`axe-core warnings (moderate/minor, not failing):\n${warnings.map(describeViolation).join('\n')}`);
    }
    const failing = violations.filter((v) => FAILING_IMPACTS.has(v.impact));
    assert.equal(failing.length, 0, `axe-core:\n${failing.map(describeViolation).join('\n')}`);
  });
});
