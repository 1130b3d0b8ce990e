// Browser end-to-end test of co-signing on the demo practice: a clinician under
// supervision writes and signs a note, which then waits for a co-signature; her
// supervisor finds it on Today, co-signs it with feedback; the author reads the
// feedback on the note. The note pages pass an axe-core scan and show no codes.
//
// Run by scripts/test as `node --test e2e/` with RAPPORT_BIN set to the built
// binary. Needs Debian's chromium and playwright-core (npm ci --prefix e2e).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  BIN, FAILING_IMPACTS, RESULTS, axeScan, describeViolation, launchBrowser, pathIs,
  signInEnrollingTotp, startDemoPractice,
} from './helpers.mjs';

// In the demo each supervisor oversees half of the other clinicians: Marcus Oyelaran is supervised by
// Dr. Helena Marsh.
const AUTHOR_EMAIL = 'marcus.oyelaran@demo.rapport.test';
const SUPERVISOR_EMAIL = 'helena.marsh@demo.rapport.test';
const DEMO_PASSWORD = 'rapport demo 2026';
const NOTE_PATH = /^\/notes\/[0-9a-f-]{36}$/;
const FEEDBACK = 'Good use of the client\'s own words; name the risk review explicitly next time.';

let practice;
let server;
let browser;
let anyFailed = false;

describe('co-signing', () => {
  before(async () => {
    assert.ok(BIN, 'RAPPORT_BIN must point to the rapport binary (scripts/test sets it)');
    mkdirSync(RESULTS, { recursive: true });
    practice = await startDemoPractice({ name: 'cosign' });
    ({ server } = practice);
    browser = await launchBrowser();
  }, { timeout: 90_000 });

  after(async () => {
    await browser?.close();
    if (anyFailed) console.error(`--- rapport serve output ---\n${server?.log ?? ''}`);
    await practice?.stop();
  });

  test('a supervisee signs, the supervisor co-signs with feedback, the author reads it', { timeout: 180_000 }, async () => {
    const context = await browser.newContext({ baseURL: server.base, bypassCSP: true });
    const author = await context.newPage();
    const boss = await (await browser.newContext({ baseURL: server.base, bypassCSP: true })).newPage();
    author.setDefaultTimeout(15_000);
    boss.setDefaultTimeout(15_000);
    let current = author;
    const violations = [];
    try {
      await signInEnrollingTotp(author, AUTHOR_EMAIL, DEMO_PASSWORD);
      await author.goto('/clients');
      const links = await author.locator('table tbody a[href^="/clients/"]').evaluateAll(
        (as) => as.map((a) => a.getAttribute('href')),
      );
      let clientPath;
      for (const href of links.slice(0, 40)) {
        await author.goto(`${href}?section=notes`);
        if (await author.locator('#note-template').count()) { clientPath = href; break; }
      }
      assert.ok(clientPath, `none of ${links.length} listed clients offers "Start note"`);
      await author.locator('#note-template').selectOption({ label: 'Progress note (SOAP)' });
      await author.getByRole('button', { name: 'Start note' }).click();
      await author.waitForURL((u) => NOTE_PATH.test(u.pathname));
      const notePath = new URL(author.url()).pathname;
      await author.getByLabel('Subjective').fill('Slept six hours most nights; fewer arguments at home.');
      await author.getByLabel('Objective').fill('Relaxed posture; maintained eye contact.');
      await author.getByLabel('Assessment').fill('Improving; anger diary in use.');
      await author.getByLabel('Plan').fill('Continue fortnightly; review the diary next time.');
      await author.getByLabel('Risk').selectOption('low');
      await author.getByRole('button', { name: 'Save and sign…' }).click();
      await author.waitForURL(pathIs(`${notePath}/sign`));
      await author.getByRole('button', { name: 'Sign and lock' }).click();
      await author.waitForURL(pathIs(notePath));
      assert.match(await author.locator('main').textContent(), /co-signature/i, 'the note says it waits for a co-signature');
      violations.push(...(await axeScan(author)));

      // The supervisor finds it on Today, under the notes to co-sign, and co-signs it with feedback.
      current = boss;
      await signInEnrollingTotp(boss, SUPERVISOR_EMAIL, DEMO_PASSWORD);
      await boss.goto('/');
      const waiting = boss.locator('h3', { hasText: 'Notes to co-sign' }).locator('xpath=following-sibling::ul[1]');
      const item = waiting.locator(`a[href="${notePath}"]`);
      await item.waitFor();
      assert.match(await waiting.locator('li', { has: boss.locator(`a[href="${notePath}"]`) }).textContent(), /written by Marcus Oyelaran/);
      await item.click();
      await boss.waitForURL(pathIs(notePath));
      violations.push(...(await axeScan(boss)));
      await boss.getByLabel('Feedback for Marcus Oyelaran').fill(FEEDBACK);
      await boss.getByRole('button', { name: 'Co-sign this note' }).click();
      await boss.locator('dd.feedback').filter({ hasText: 'name the risk review explicitly' }).waitFor();
      assert.equal(await boss.getByRole('button', { name: 'Co-sign this note' }).count(), 0, 'co-signed once');
      await boss.goto('/');
      assert.equal(await boss.locator(`a[href="${notePath}"]`).count(), 0, 'no longer waiting on Today');

      // The author reads the feedback, kept with the note.
      current = author;
      await author.goto(notePath);
      const feedback = author.locator('dd.feedback');
      assert.match(await feedback.textContent(), /name the risk review explicitly next time\.\s*— Dr\. Helena Marsh/);
      violations.push(...(await axeScan(author)));
    } catch (err) {
      anyFailed = true;
      const file = join(RESULTS, 'failed-cosign.png');
      await current.screenshot({ path: file, fullPage: true }).catch(() => {});
      err.message += `\n(page: ${current.url()}; screenshot: ${file})`;
      throw err;
    } finally {
      await context.close();
    }
    const failing = violations.filter((v) => FAILING_IMPACTS.has(v.impact));
    assert.equal(failing.length, 0, `axe-core:\n${failing.map(describeViolation).join('\n')}`);
  });
});
