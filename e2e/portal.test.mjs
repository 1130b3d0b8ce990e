// Browser end-to-end test of the client portal on the demo practice: a
// clinician signs a progress note and a psychotherapy note for a client and
// invites the client to the portal from the client's page; the invitation
// reaches a real SMTP sink (PyPI aiosmtpd, as scripts/test installs it); the
// client, on a phone, chooses a password through the link, sees their coming
// appointments and reads their record, where the progress note is and the
// psychotherapy note is not. The portal pages and the staff access page pass an
// axe-core scan, and the portal does not scroll sideways at 375 px.
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
  BIN, FAILING_IMPACTS, RESULTS, axeScan, describeViolation, launchBrowser, pathIs,
  runRapport, signInEnrollingTotp, startServer, startSmtpSink, stopServer, waitForLink, waitReady,
} from './helpers.mjs';

// A demo supervisor (her own notes need no co-signature) who is primary clinician of some demo clients.
const CLINICIAN_EMAIL = 'helena.marsh@demo.rapport.test';
const DEMO_PASSWORD = 'rapport demo 2026';
const CLIENT_PASSWORD = 'lantern meadow quietly 42';
const NOTE_PATH = /^\/notes\/[0-9a-f-]{36}$/;

let dataDir;
let mailRoot;
let mailDir;
let smtp;
let server;
let browser;
let anyFailed = false;

// Starts a note of `template` on the client's page, fills `fields` (label -> text) and signs it.
async function signedNote(page, clientPath, template, fields) {
  await page.goto(`${clientPath}?section=notes`);
  await page.locator('#note-template').selectOption(template);
  await page.getByRole('button', { name: 'Start note' }).click();
  await page.waitForURL((u) => NOTE_PATH.test(u.pathname));
  const notePath = new URL(page.url()).pathname;
  for (const [label, text] of Object.entries(fields)) {
    if (label === 'Risk') await page.getByLabel(label).selectOption(text);
    else await page.getByLabel(label).fill(text);
  }
  await page.getByRole('button', { name: 'Save and sign…' }).click();
  await page.waitForURL(pathIs(`${notePath}/sign`));
  await page.getByRole('button', { name: 'Sign and lock' }).click();
  await page.waitForURL(pathIs(notePath));
  return notePath;
}

describe('client portal', () => {
  before(async () => {
    assert.ok(BIN, 'RAPPORT_BIN must point to the rapport binary (scripts/test sets it)');
    dataDir = mkdtempSync(join(tmpdir(), 'rapport-e2e-portal-'));
    mailRoot = mkdtempSync(join(tmpdir(), 'rapport-e2e-portal-mail-'));
    // aiosmtpd's Mailbox creates the Maildir itself, so it must not exist yet.
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

  test('invite a client, who sets a password by e-mailed link and reads their record without the psychotherapy note', { timeout: 240_000 }, async () => {
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
      await page.goto(clientPath);
      const address = (await page.locator('dt', { hasText: 'E-mail' }).locator('xpath=following-sibling::dd[1]').textContent()).trim();
      assert.match(address, /@/, 'the demo client has an e-mail address');
      // A session three days ahead (beyond the late-cancellation window), booked from the client page's header, so
      // that the client has one to cancel in the portal.
      await page.getByRole('link', { name: 'Book', exact: true }).click();
      await page.waitForURL(pathIs('/appointments/new'));
      const ahead = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
      await page.locator('#start').fill(`${ahead}T06:10`);
      await page.getByLabel('Outside working hours on purpose').check();
      await page.getByRole('button', { name: 'Book', exact: true }).click();
      await page.waitForURL((u) => /^\/appointments\/[0-9a-f-]{36}$/.test(u.pathname));

      await signedNote(page, clientPath, 'progress_soap', {
        Subjective: 'PORTAL-VISIBLE: walks every morning now.',
        Objective: 'Calm and engaged.',
        Assessment: 'Mood improving.',
        Plan: 'Continue weekly.',
        Risk: 'low',
      });
      await signedNote(page, clientPath, 'psychotherapy', {
        'Process notes': 'PRIVATE-HUNCH: my countertransference when she mentions her father.',
      });

      // The staff side: invite the client from the client's page.
      await page.goto(`${clientPath}?section=record`);
      await page.getByRole('link', { name: 'Client portal access' }).click();
      await page.waitForURL(pathIs(`${clientPath}/portal`));
      await page.getByLabel('Name').fill(clientName);
      await page.getByLabel('E-mail').fill(address);
      await page.getByRole('button', { name: 'Send the invitation' }).click();
      await page.waitForURL((u) => u.pathname === `${clientPath}/portal` && u.search === '?done=invited');
      await page.getByRole('status').filter({ hasText: 'Invitation sent.' }).waitFor();
      assert.match(await page.locator('table').textContent(), /Invited/);
      violations.push(...(await axeScan(page)));

      // The e-mail carries the link and names no one but its reader.
      const { link, message } = await waitForLink(mailDir, address, '/portal/welcome/', 'portal invitation');
      assert.ok(link.startsWith(`${server.base}/portal/welcome/`), link);
      assert.ok(!message.body.includes('PORTAL-VISIBLE'), message.body);

      // The client, on a phone: two passwords that differ are refused beside the field, then a good one.
      current = client;
      await client.goto(link);
      await client.getByRole('heading', { level: 1 }).filter({ hasText: 'Welcome' }).waitFor();
      violations.push(...(await axeScan(client)));
      await client.getByLabel('New password').fill(CLIENT_PASSWORD);
      await client.getByLabel('The same password again').fill('lantern meadow loudly 42');
      await client.getByRole('button', { name: 'Save and sign in' }).click();
      await client.locator('#confirm-error').filter({ hasText: 'not the same' }).waitFor();
      violations.push(...(await axeScan(client)));
      await client.getByLabel('New password').fill(CLIENT_PASSWORD);
      await client.getByLabel('The same password again').fill(CLIENT_PASSWORD);
      await client.getByRole('button', { name: 'Save and sign in' }).click();
      await client.waitForURL((u) => u.pathname.startsWith('/portal/clients/'));
      await client.getByRole('heading', { name: 'Coming appointments' }).waitFor();
      violations.push(...(await axeScan(client)));
      const overflow = await client.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `the portal page scrolls sideways at 375 px by ${overflow} px`);

      // Cancelling a coming appointment asks first, on a page of its own; then the appointment is gone.
      const cancelLink = client.getByRole('link', { name: /^Cancel the appointment of / }).first();
      const which = (await cancelLink.textContent()).trim();
      await cancelLink.click();
      await client.getByRole('heading', { level: 1, name: 'Cancel this appointment?' }).waitFor();
      violations.push(...(await axeScan(client)));
      await client.getByRole('button', { name: 'Yes, cancel this appointment' }).click();
      await client.waitForURL((u) => u.pathname.startsWith('/portal/clients/') && u.search === '?done=cancelled');
      assert.equal(await client.getByRole('link', { name: which, exact: true }).count(), 0, `"${which}" is gone`);
      violations.push(...(await axeScan(client)));

      await client.getByRole('link', { name: 'Read the record' }).click();
      await client.waitForURL((u) => u.pathname.endsWith('/record'));
      const record = await client.locator('main').textContent();
      assert.match(record, /PORTAL-VISIBLE: walks every morning now\./);
      assert.ok(!record.includes('PRIVATE-HUNCH'), 'the psychotherapy note never reaches the portal');
      assert.match(record, /Psychotherapy notes \(45 CFR 164\.501\) are kept apart/);
      assert.match(record, /Read in the client portal \(client\)/);
      violations.push(...(await axeScan(client)));

      // Signing out ends the portal session.
      await client.getByRole('link', { name: 'Back to the portal' }).click();
      await client.getByRole('button', { name: 'Sign out' }).click();
      await client.waitForURL(pathIs('/portal/login'));
      await client.goto(`${server.base}/portal`);
      await client.waitForURL(pathIs('/portal/login'));
      violations.push(...(await axeScan(client)));

      // The care team now sees the account as active.
      current = page;
      await page.goto(`${clientPath}/portal`);
      assert.match(await page.locator('table').textContent(), /Active/);
    } catch (err) {
      anyFailed = true;
      const file = join(RESULTS, 'failed-portal.png');
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
