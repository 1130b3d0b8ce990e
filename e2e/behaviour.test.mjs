// Browser end-to-end test of behaviour modification on the demo practice: a
// clinician starts an anger-management plan for a client, adds a behaviour
// linked to the plan's outbursts objective and a homework item linked to the
// same objective (which the plan page then lists under it), and e-mails
// the diary link; the link reaches a real SMTP sink (PyPI aiosmtpd); the
// client, in a fresh browser context at phone width and without an account,
// is told plainly about an impossible value, then logs two days and ticks the
// homework off; the clinician sees adherence, the weekly summary, the streak
// and the chart on the client's page. In session, the clinician then enters
// a day on the client's behalf from the keyboard (an impossible value first,
// named beside its field) and changes the homework's title and due date. The
// diary, the client page's behaviours section, the in-session form with its
// error, the homework edit page and the plan page pass an axe-core scan; the diary does not
// scroll sideways at 375 px.
//
// Run by scripts/test as `node --test e2e/` with RAPPORT_BIN set to the built
// binary. Needs Debian's chromium, playwright-core (npm ci --prefix e2e) and
// python3 with aiosmtpd.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BIN, FAILING_IMPACTS, RESULTS, axeScan, describeViolation, launchBrowser,
  runRapport, signInEnrollingTotp, startServer, startSmtpSink, stopServer, waitForLink, waitReady,
} from './helpers.mjs';

// A demo clinician (addiction and anger) who is primary clinician of some demo clients.
const CLINICIAN_EMAIL = 'marcus.oyelaran@demo.rapport.test';
const DEMO_PASSWORD = 'rapport demo 2026';

let dataDir;
let mailRoot;
let mailDir;
let smtp;
let server;
let browser;
let anyFailed = false;

// The diary link e-mailed to `address`, read from the SMTP sink.
const diaryLink = (address) => waitForLink(mailDir, address, '/log/', 'diary');

describe('behaviour modification', () => {
  before(async () => {
    assert.ok(BIN, 'RAPPORT_BIN must point to the rapport binary (scripts/test sets it)');
    dataDir = mkdtempSync(join(tmpdir(), 'rapport-e2e-behaviour-'));
    mailRoot = mkdtempSync(join(tmpdir(), 'rapport-e2e-mail-'));
    // aiosmtpd's Mailbox creates the Maildir (new/, cur/, tmp/) itself, so it must not exist yet.
    mailDir = join(mailRoot, 'maildir');
    mkdirSync(RESULTS, { recursive: true });
    runRapport(['--data-dir', dataDir, 'demo', '--clients', '40']);
    smtp = await startSmtpSink(mailDir);
    server = await startServer(dataDir, (base) => [
      '--smtp-url', `smtp://127.0.0.1:${smtp.port}`,
      '--public-url', base,
      '--worker-interval-seconds', '2',
    ]);
    await waitReady(server);
    browser = await launchBrowser();
  }, { timeout: 120_000 });

  after(async () => {
    await browser?.close();
    await stopServer(server);
    smtp?.child.kill();
    if (anyFailed) console.error(`--- rapport serve output ---\n${server?.log ?? ''}`);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    if (mailRoot) rmSync(mailRoot, { recursive: true, force: true });
  });

  test('link a behaviour to a plan objective, set homework, log by e-mailed diary link, see adherence and streak', { timeout: 240_000 }, async () => {
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

      // The first of his clients whose page offers to add a behaviour and has an e-mail address.
      await page.goto('/clients');
      const links = await page.locator('table tbody a[href^="/clients/"]').evaluateAll(
        (as) => as.map((a) => a.getAttribute('href')),
      );
      let clientPath;
      for (const href of links.slice(0, 25)) {
        await page.goto(`${href}?section=behaviour`);
        if (await page.locator('#bh-name').count()) { clientPath = href; break; }
      }
      assert.ok(clientPath, `none of ${links.length} listed clients offers "Add a behaviour"`);
      const clientName = (await page.locator('h1').textContent()).trim();
      await page.goto(clientPath);
      const address = (await page.locator('dt', { hasText: 'E-mail' }).locator('xpath=following-sibling::dd[1]').textContent()).trim();
      assert.match(address, /@/, 'the demo client has an e-mail address');

      // A plan from the anger-management template gives the objective to link to.
      await page.goto(`${clientPath}?section=plans`);
      await page.locator('#plan-template').selectOption('anger_management');
      await page.getByRole('button', { name: 'Start plan' }).click();
      await page.waitForURL((u) => u.pathname.startsWith('/plans/'));
      const planPath = new URL(page.url()).pathname.replace(/\/edit$/, '');
      await page.goto(`${clientPath}?section=behaviour`);

      await page.locator('#behaviours summary', { hasText: 'Add a behaviour' }).click();
      await page.locator('#bh-name').fill('Angry outbursts');
      await page.locator('#bh-kind').selectOption('count');
      const objective = await page.locator('#bh-objective option', { hasText: 'Fewer angry outbursts' }).getAttribute('value');
      await page.locator('#bh-objective').selectOption(objective);
      await page.locator('#bh-direction').selectOption('reduce');
      await page.getByRole('button', { name: 'Add behaviour' }).click();
      await page.waitForURL((u) => u.pathname === clientPath && u.search === '?section=behaviour&done=behaviour');
      await page.getByRole('status').filter({ hasText: 'The behaviour was added' }).waitFor();
      // The target came from the objective (1 outburst a week).
      assert.match(await page.locator('#behaviours article.behaviour').first().textContent(), /at most 1 time a week, for the plan objective “Fewer angry outbursts/);

      await page.locator('#behaviours summary', { hasText: 'Set homework' }).click();
      await page.locator('#hw-title').fill('Use the anger meter');
      await page.locator('#hw-instructions').fill('Rate your anger each evening and note one trigger.');
      const due = new Date(Date.now() + 4 * 86_400_000).toISOString().slice(0, 10);
      await page.locator('#hw-due').fill(due);
      // Linked, like the behaviour, to the plan's outbursts objective.
      await page.locator('#hw-objective').selectOption(objective);
      await page.getByRole('button', { name: 'Set homework' }).click();
      await page.waitForURL((u) => u.pathname === clientPath && u.search === '?section=behaviour&done=homework');
      assert.match(
        await page.locator('#behaviours table.homework').textContent(),
        /Use the anger meter[\s\S]*For the plan objective “Fewer angry outbursts/,
      );
      // The plan lists the homework and the behaviour under the objective they serve.
      await page.goto(planPath);
      const served = page.locator('ul.objectives > li', { hasText: 'Fewer angry outbursts' });
      assert.match(await served.locator('ul.linked-homework').textContent(), new RegExp(`Use the anger meter, due ${due}: Assigned`));
      assert.match(await served.textContent(), /Behaviours logged for it: Angry outbursts/);
      violations.push(...(await axeScan(page)));
      await page.goto(`${clientPath}?section=behaviour`);

      await page.getByRole('button', { name: 'E-mail a diary link' }).click();
      await page.waitForURL((u) => u.pathname === clientPath && u.search === '?section=behaviour&done=diary-sent');
      await page.getByRole('status').filter({ hasText: 'diary link is on its way' }).waitFor();

      // The e-mail names neither the client nor the behaviour; it carries the link.
      const { link, message } = await diaryLink(address);
      assert.ok(link.startsWith(`${server.base}/log/`), link);
      for (const word of ['anger', 'Anger', 'outburst', clientName.split(' ')[0]]) {
        assert.ok(!message.body.includes(word), `the e-mail mentions ${word}: ${message.body}`);
      }

      // The client, on a phone, with no account.
      current = client;
      await client.goto(link);
      await client.getByRole('heading', { level: 1, name: 'My diary' }).waitFor();
      assert.ok(!(await client.content()).includes(clientName), 'the diary names nobody');
      violations.push(...(await axeScan(client)));
      const overflow = await client.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `the diary scrolls sideways at 375 px by ${overflow} px`);
      // An impossible value is explained beside its field, and nothing is stored.
      const outbursts = client.getByLabel(/Angry outbursts/);
      await outbursts.fill('-2');
      await client.getByRole('button', { name: 'Send' }).click();
      await client.locator('.field-error', { hasText: 'a count cannot be negative' }).waitFor();
      assert.equal(await client.getByLabel(/Angry outbursts/).getAttribute('aria-invalid'), 'true');
      violations.push(...(await axeScan(client)));
      const today = await client.locator('#diary-date').inputValue();
      await client.getByLabel(/Angry outbursts/).fill('1');
      await client.getByLabel('I did this').check();
      await client.getByLabel(/A note for your practice/).fill('Used it three evenings.');
      await client.getByRole('button', { name: 'Send' }).click();
      await client.getByRole('heading', { name: 'Thank you' }).waitFor();
      assert.match(await client.locator('#diary-result').textContent(), /1 entry and 1 homework item marked done/);
      // The same link again, for yesterday.
      await client.getByRole('link', { name: 'Fill in another day' }).click();
      const yesterday = new Date(Date.parse(`${today}T12:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
      await client.locator('#diary-date').fill(yesterday);
      await client.getByLabel(/Angry outbursts/).fill('0');
      await client.getByRole('button', { name: 'Send' }).click();
      await client.getByRole('heading', { name: 'Thank you' }).waitFor();

      // The clinician sees adherence, the summary, the streak and the chart.
      current = page;
      await page.goto(`${clientPath}?section=behaviour`);
      const section = page.locator('#behaviours');
      const row = section.locator('table.adherence tbody tr', { hasText: 'Angry outbursts' });
      await row.waitFor();
      const cells = await row.locator('td').allTextContents();
      assert.match(cells[0], /in progress|met|not met/, cells.join(' | '));
      assert.match(cells[1], /weeks? on target \(best \d+\)/, cells.join(' | '));
      assert.match(cells[2], /100% \(2 of 2 days\)/, cells.join(' | '));
      assert.match(await section.locator('table.homework').textContent(), /Done on \d{4}-\d{2}-\d{2}[\s\S]*Used it three evenings\./);
      const chart = section.locator('svg.week-chart').first();
      assert.equal(await chart.getAttribute('role'), 'img');
      assert.match(await chart.locator('desc').textContent(), /Angry outbursts, weekly total per week:/);
      await section.locator('summary', { hasText: 'Angry outbursts by week as a table' }).click();
      assert.match(await section.locator('details.data table').first().textContent(), /\d{4}-W\d{2}/);
      violations.push(...(await axeScan(page, '#behaviours')));

      // In session: the clinician enters the day before yesterday for the client, from the keyboard.
      await section.locator('summary', { hasText: 'Enter diary values in session' }).click();
      const twoDaysAgo = new Date(Date.parse(`${today}T12:00:00Z`) - 2 * 86_400_000).toISOString().slice(0, 10);
      await page.locator('#en-date').fill(twoDaysAgo);
      const inSession = page.locator('#behaviours input[name^="value."]').first();
      await inSession.fill('-1');
      await inSession.press('Enter');
      await page.locator('.field-error', { hasText: 'a count cannot be negative' }).waitFor();
      const again = page.locator('input[name^="value."]').first();
      assert.equal(await again.getAttribute('aria-invalid'), 'true');
      assert.equal(await page.locator('#en-date').inputValue(), twoDaysAgo, 'the day typed is kept');
      violations.push(...(await axeScan(page)));
      await again.fill('2');
      await again.press('Enter');
      await page.waitForURL((u) => u.pathname === clientPath && u.search === '?section=behaviour&done=entries');
      await page.getByRole('status').filter({ hasText: "The values were added to the client's diary." }).waitFor();
      const after = await section.locator('table.adherence tbody tr', { hasText: 'Angry outbursts' }).locator('td').allTextContents();
      assert.match(after[2], /100% \(3 of 3 days\)/, after.join(' | '));

      // The homework is changed on its own page.
      await section.getByRole('link', { name: 'Change “Use the anger meter”' }).click();
      await page.getByRole('heading', { level: 1, name: 'Change homework' }).waitFor();
      assert.equal(await page.locator('#hw-title').inputValue(), 'Use the anger meter');
      violations.push(...(await axeScan(page)));
      await page.locator('#hw-title').fill('Use the anger meter every evening');
      const later = new Date(Date.now() + 9 * 86_400_000).toISOString().slice(0, 10);
      await page.locator('#hw-due').fill(later);
      await page.getByRole('button', { name: 'Save changes' }).click();
      await page.waitForURL((u) => u.pathname === clientPath && u.search === '?section=behaviour&done=homework-edited');
      await page.getByRole('status').filter({ hasText: 'The homework was changed.' }).waitFor();
      const homework = await page.locator('#behaviours table.homework').textContent();
      assert.match(homework, new RegExp(`Use the anger meter every evening[\\s\\S]*${later}`));
    } catch (err) {
      anyFailed = true;
      const file = join(RESULTS, 'failed-behaviour.png');
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
