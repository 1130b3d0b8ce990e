// Browser end-to-end test of clinical notes on the demo practice, through the
// pages only: a clinician starts a SOAP note from a client's page, the draft is
// autosaved by the editor's script, a save from a stale second tab shows both
// versions, the note is signed (and then locked) and gets an addendum; the
// editor, the signed note and the notes dashboard pass an axe-core scan.
//
// Run by scripts/test as `node --test e2e/` with RAPPORT_BIN set to the built
// binary. Needs Debian's chromium and playwright-core (npm ci --prefix e2e).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  BIN, FAILING_IMPACTS, RESULTS, axeScan, describeViolation, launchBrowser, pathIs, pdfText,
  signInEnrollingTotp, startDemoPractice,
} from './helpers.mjs';

// A demo supervisor (so her own notes need no co-signature) who is primary
// clinician of some demo clients.
const CLINICIAN_EMAIL = 'helena.marsh@demo.rapport.test';
const DEMO_PASSWORD = 'rapport demo 2026';
const NOTE_PATH = /^\/notes\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let practice;
let server;
let browser;
let anyFailed = false;

describe('clinical notes', () => {
  before(async () => {
    assert.ok(BIN, 'RAPPORT_BIN must point to the rapport binary (scripts/test sets it)');
    mkdirSync(RESULTS, { recursive: true });
    practice = await startDemoPractice({ name: 'notes' });
    ({ server } = practice);
    browser = await launchBrowser();
  }, { timeout: 90_000 });

  after(async () => {
    await browser?.close();
    if (anyFailed) console.error(`--- rapport serve output ---\n${server?.log ?? ''}`);
    await practice?.stop();
  });

  test('write, autosave, resolve a stale save, sign, add an addendum; start and review a treatment plan', { timeout: 180_000 }, async () => {
    // bypassCSP only so that axe-core can be injected; the editor's own script is served from our origin.
    const context = await browser.newContext({ baseURL: server.base, bypassCSP: true });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const violations = [];
    try {
      await signInEnrollingTotp(page, CLINICIAN_EMAIL, DEMO_PASSWORD);

      // The first client of hers whose page offers to start a note (she is on their care team).
      await page.goto('/clients');
      const links = await page.locator('table tbody a[href^="/clients/"]').evaluateAll(
        (as) => as.map((a) => a.getAttribute('href')),
      );
      let clientPath;
      for (const href of links.slice(0, 25)) {
        await page.goto(`${href}?section=notes`);
        if (await page.locator('#note-template').count()) { clientPath = href; break; }
      }
      assert.ok(clientPath, `none of ${links.length} listed clients offers "Start note"`);
      const clientName = (await page.locator('h1').textContent()).trim();

      await page.locator('#note-template').selectOption({ label: 'Progress note (SOAP)' });
      await page.getByRole('button', { name: 'Start note' }).click();
      await page.waitForURL((u) => NOTE_PATH.test(u.pathname));
      const notePath = new URL(page.url()).pathname;
      violations.push(...(await axeScan(page)));

      // Typing is saved by the editor's script without pressing anything.
      await page.getByLabel('Subjective').fill('Reports sleeping better since starting the wind-down routine.');
      await page.getByRole('status').filter({ hasText: 'Draft saved at' }).waitFor();
      // In the clinician's own zone (New York), named, whatever zone the browser's clock is in.
      assert.match(await page.getByRole('status').filter({ hasText: 'Draft saved at' }).textContent(), /^Draft saved at \d\d:\d\d E[SD]T\.$/);
      assert.match(await page.locator('header .zone').textContent(), /times in New York/);

      // A second tab saves the note; the first tab, now stale, then saves too and sees both versions.
      const other = await context.newPage();
      await other.goto(notePath);
      await other.getByLabel('Objective').fill('Calm, engaged; affect brighter than last week.');
      await other.getByRole('button', { name: 'Save draft' }).click();
      await other.waitForURL((u) => u.pathname === notePath && u.search === '?saved=1');
      await other.close();

      await page.getByLabel('Assessment').fill('Depressive symptoms easing; behavioural activation is working.');
      await page.getByRole('button', { name: 'Save draft' }).click();
      await page.getByRole('alert').filter({ hasText: 'saved elsewhere' }).waitFor();
      const savedElsewhere = page.locator('.saved-version');
      assert.match(await savedElsewhere.first().textContent(), /affect brighter than last week/,
        'the version saved in the other tab is shown beside the form');
      assert.equal(await page.getByLabel('Assessment').inputValue(),
        'Depressive symptoms easing; behavioural activation is working.', 'what this tab typed is kept');

      // Keep both: take the other tab's Objective into this version, complete the note, and sign it.
      await page.getByLabel('Objective').fill('Calm, engaged; affect brighter than last week.');
      await page.getByLabel('Plan').fill('Continue weekly; add one social activity.');
      await page.getByLabel('Risk').selectOption('low');
      await page.getByRole('button', { name: 'Save and sign…' }).click();
      await page.waitForURL(pathIs(`${notePath}/sign`));
      await page.getByRole('button', { name: 'Sign and lock' }).click();
      await page.waitForURL(pathIs(notePath));
      assert.match(await page.locator('.tag.status-signed').textContent(), /Signed/);
      assert.equal(await page.locator('textarea[name^="f."]').count(), 0, 'a signed note has no editor');
      assert.match(await page.locator('.note-body').textContent(), /affect brighter than last week/);
      assert.match(await page.locator('dd').filter({ hasText: 'verified' }).textContent(), /[0-9a-f]{64}/);
      violations.push(...(await axeScan(page)));

      // The print page carries the signature and hash; the chart lists the note with an excerpt.
      await page.getByRole('link', { name: 'Print or save as PDF' }).click();
      await page.waitForURL(pathIs(`${notePath}/print`));
      assert.match(await page.locator('main').textContent(), /SHA-256\s*[0-9a-f]{64}/);
      // Saved as PDF (Chromium's print-to-PDF, what "Save as PDF" gives): the note, its signature and hash are
      // in the file; the screen-only links are not.
      const { pages, text } = pdfText(await page.pdf({ format: 'A4' }));
      assert.ok(pages >= 1, 'the PDF has a page');
      assert.match(text, /affect brighter than last week/);
      assert.match(text, /SHA-256\s*[0-9a-f]{64}/);
      assert.match(text, /Confidential clinical record/);
      assert.ok(!text.includes('Back to the note'), `the PDF leaves out the screen-only links:\n${text}`);
      await page.goto(`${clientPath}/chart?kind=note`);
      assert.match(await page.locator('.timeline').textContent(), /sleeping better since starting/);
      await page.goto(notePath);

      await page.getByLabel('Add an addendum').fill('Correction: the session lasted 45 minutes, not 50.');
      await page.getByRole('button', { name: 'Sign and add addendum' }).click();
      await page.locator('.addendum').filter({ hasText: 'lasted 45 minutes' }).waitFor();

      // The client's page lists the signed note; the dashboard no longer lists it as unsigned.
      await page.goto(`${clientPath}?section=notes`);
      assert.match(await page.locator('section[aria-labelledby="notes-h"]').textContent(), /Signed/);
      await page.goto('/notes');
      violations.push(...(await axeScan(page)));
      const unsigned = await page.locator('main').textContent();
      assert.ok(!unsigned.includes(notePath), 'the signed note is not among the unsigned ones');
      assert.ok(clientName.length > 0);

      // A treatment plan from the anger-management template: baselines filled in the editor, put into effect,
      // reviewed; the progress bar shows the way from baseline to target.
      await page.goto(`${clientPath}?section=plans`);
      await page.locator('#plan-template').selectOption({ label: 'Anger management template' });
      await page.getByRole('button', { name: 'Start plan' }).click();
      await page.waitForURL((u) => /^\/plans\/[0-9a-f-]{36}\/edit$/.test(u.pathname));
      violations.push(...(await axeScan(page)));
      await page.locator('input[name="p0.g0.o0.baseline"]').fill('6');
      await page.locator('input[name="p0.g0.o1.baseline"]').fill('10');
      await page.getByRole('button', { name: 'Save the plan' }).click();
      await page.waitForURL((u) => /^\/plans\/[0-9a-f-]{36}$/.test(u.pathname));
      await page.getByRole('button', { name: 'Put into effect' }).click();
      await page.getByRole('heading', { name: 'Review' }).waitFor();
      await page.locator('input[name="current.p1.g1.o1"]').fill('3.5');
      await page.getByLabel('Review note').fill('Two outbursts in the last fortnight.');
      await page.getByRole('button', { name: 'Record review' }).click();
      await page.locator('progress#prog-p1\\.g1\\.o1').waitFor();
      assert.equal(await page.locator('progress').first().getAttribute('value'), '50');
      assert.match(await page.locator('.history').textContent(), /reviewed by .*Two outbursts/s);
      violations.push(...(await axeScan(page)));
    } catch (err) {
      anyFailed = true;
      const file = join(RESULTS, 'failed-notes.png');
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
