// Browser end-to-end test of measurement-based care on the demo practice: a
// clinician assigns a PHQ-9 from a client's page; the link reaches a real
// SMTP sink (PyPI aiosmtpd, as scripts/test installs it); the client, in a
// fresh browser context at phone width and without an account, answers with
// item 9 > 0; the clinician sees the alert banner on the dashboard,
// acknowledges the alert and finds the trend chart on the client's page. The
// questionnaire, the alerts page and the client page's Measures section pass
// an axe-core scan; the questionnaire does not scroll sideways at 375 px.
//
// Run by scripts/test as `node --test e2e/` with RAPPORT_BIN set to the built
// binary. Needs Debian's chromium, playwright-core (npm ci --prefix e2e) and
// python3 with aiosmtpd.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  BIN, FAILING_IMPACTS, RESULTS, axeScan, describeViolation, launchBrowser, pathIs,
  signInEnrollingTotp, startDemoPractice, waitForLink,
} from './helpers.mjs';

// A demo clinician (not a supervisor) who is primary clinician of some demo clients.
const CLINICIAN_EMAIL = 'noor.haddad@demo.rapport.test';
const DEMO_PASSWORD = 'rapport demo 2026';

let practice;
let server;
let mailDir;
let browser;
let anyFailed = false;

// The questionnaire link e-mailed to `address`, read from the SMTP sink.
const questionnaireLink = (address) => waitForLink(mailDir, address, '/m/', 'questionnaire');

describe('measurement-based care', () => {
  before(async () => {
    assert.ok(BIN, 'RAPPORT_BIN must point to the rapport binary (scripts/test sets it)');
    mkdirSync(RESULTS, { recursive: true });
    practice = await startDemoPractice({ name: 'measures', mail: true });
    ({ server, mailDir } = practice);
    browser = await launchBrowser();
  }, { timeout: 120_000 });

  after(async () => {
    await browser?.close();
    if (anyFailed) console.error(`--- rapport serve output ---\n${server?.log ?? ''}`);
    await practice?.stop();
  });

  test('assign a PHQ-9, answer it by e-mailed link with item 9 > 0, acknowledge the alert, see the trend', { timeout: 240_000 }, async () => {
    // bypassCSP only so that axe-core can be injected.
    const staff = await browser.newContext({ baseURL: server.base, bypassCSP: true });
    const page = await staff.newPage();
    page.setDefaultTimeout(15_000);
    const phone = await browser.newContext({ viewport: { width: 375, height: 740 }, bypassCSP: true });
    const client = await phone.newPage();
    client.setDefaultTimeout(15_000);
    const violations = [];
    let current = page;
    try {
      await signInEnrollingTotp(page, CLINICIAN_EMAIL, DEMO_PASSWORD);
      assert.equal(await page.locator('.alert-banner').count(), 0, 'no alert before the questionnaire');

      // The first of her clients whose page offers to assign a questionnaire.
      await page.goto('/clients');
      const links = await page.locator('table tbody a[href^="/clients/"]').evaluateAll(
        (as) => as.map((a) => a.getAttribute('href')),
      );
      let clientPath;
      for (const href of links.slice(0, 25)) {
        await page.goto(`${href}?section=measures`);
        if (await page.locator('#measure-instrument').count()) { clientPath = href; break; }
      }
      assert.ok(clientPath, `none of ${links.length} listed clients offers "Assign questionnaire"`);
      const clientName = (await page.locator('h1').textContent()).trim();
      await page.goto(clientPath);
      const address = (await page.locator('dt', { hasText: 'E-mail' }).locator('xpath=following-sibling::dd[1]').textContent()).trim();
      assert.match(address, /@/, 'the demo client has an e-mail address');
      await page.goto(`${clientPath}?section=measures`);

      await page.locator('#measure-instrument').selectOption('phq9');
      await page.locator('#measure-schedule').selectOption('once');
      await page.getByRole('button', { name: 'Assign questionnaire' }).click();
      await page.waitForURL((u) => u.pathname === clientPath && u.search === '?section=measures&done=assigned');
      await page.getByRole('status').filter({ hasText: 'on its way to the client' }).waitFor();

      // The e-mail names neither the client nor the questionnaire; it carries the link.
      const { link, message } = await questionnaireLink(address);
      assert.ok(link.startsWith(`${server.base}/m/`), link);
      assert.ok(!message.body.includes('PHQ') && !message.body.includes(clientName.split(' ')[0]), message.body);

      // The client, on a phone, with no account.
      current = client;
      await client.goto(link);
      await client.getByRole('heading', { level: 1 }).filter({ hasText: 'Patient Health Questionnaire' }).waitFor();
      violations.push(...(await axeScan(client)));
      const overflow = await client.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `the questionnaire scrolls sideways at 375 px by ${overflow} px`);
      // Sending it incomplete shows the problem beside the question and keeps the link usable.
      for (let i = 1; i <= 8; i += 1) await client.locator(`input[name="items.${i}"][value="1"]`).check();
      await client.getByRole('button', { name: 'Send my answers' }).click();
      await client.locator('#e-9').filter({ hasText: 'please choose an answer' }).waitFor();
      await client.locator('input[name="items.9"][value="2"]').check();
      await client.getByRole('button', { name: 'Send my answers' }).click();
      await client.getByRole('heading', { name: 'Thank you' }).waitFor();

      // The clinician: a banner on the dashboard, the alert acknowledged from the alerts page.
      current = page;
      await page.goto('/');
      const banner = page.locator('.alert-banner');
      await banner.waitFor();
      assert.match(await banner.textContent(), /1 unacknowledged alert needs your attention/);
      await banner.getByRole('link', { name: 'Review and acknowledge alerts' }).click();
      await page.waitForURL(pathIs('/alerts'));
      assert.match(await page.locator('.alert-list').textContent(), /PHQ-9: critical answer to item 9/);
      violations.push(...(await axeScan(page)));
      await page.getByRole('link', { name: 'Details of the answers' }).click();
      await page.getByRole('cell', { name: /^9\. Thoughts that you would be better off dead/ }).waitFor();
      assert.match(await page.locator('table').textContent(), /More than half the days/);
      // Acknowledging says what was done: without a choice the page says so; then "contacted the client".
      violations.push(...(await axeScan(page, '#ack-action')));
      await page.getByRole('button', { name: 'Acknowledge alert' }).click();
      await page.getByRole('alert').filter({ hasText: 'say what was done' }).waitFor();
      await page.getByRole('radio', { name: 'Contacted the client' }).check();
      await page.getByLabel(/^Note/).fill('Called the client; safe tonight, session moved to tomorrow.');
      await page.getByRole('button', { name: 'Acknowledge alert' }).click();
      await page.waitForURL((u) => u.pathname === '/alerts' && u.search === '?done=acknowledged');
      await page.getByText('No open alerts.').waitFor();
      await page.goto('/');
      assert.equal(await page.locator('.alert-banner').count(), 0, 'the banner is gone once acknowledged');

      // The trend chart on the client's page (one score so far) and its accessible description.
      await page.goto(`${clientPath}?section=measures`);
      const chart = page.locator('#measures svg.trend-chart');
      await chart.waitFor();
      assert.equal(await chart.getAttribute('role'), 'img');
      assert.match(await chart.locator('desc').textContent(), /PHQ-9 scores from .*one valid score, 10 \(Moderate\)/);
      assert.match(await page.locator('#measures').textContent(), /Latest:\s*10 \(Moderate\)/);
      violations.push(...(await axeScan(page, '#measures')));
      const csv = await page.request.get(`${clientPath}/measures.csv`);
      assert.equal(csv.status(), 200);
      assert.match(csv.headers()['content-disposition'], /^attachment; filename="measures-[0-9a-f-]+\.csv"$/);
    } catch (err) {
      anyFailed = true;
      const file = join(RESULTS, 'failed-measures.png');
      await current.screenshot({ path: file, fullPage: true }).catch(() => {});
      err.message += `\n(page: ${current.url()}; screenshot: ${file})`;
      throw err;
    } finally {
      await staff.close();
      await phone.close();
    }
    const warnings = violations.filter((v) => !FAILING_IMPACTS.has(v.impact));
    if (warnings.length > 0) {
      console.warn(`axe-core warnings (moderate/minor, not failing):\n${warnings.map(describeViolation).join('\n')}`);
    }
    const failing = violations.filter((v) => FAILING_IMPACTS.has(v.impact));
    assert.equal(failing.length, 0, `axe-core:\n${failing.map(describeViolation).join('\n')}`);
  });
});
