// Browser end-to-end test: a staff member signs in with a password, turns on
// TOTP two-step sign-in, creates a client, finds it by search, sees the audit
// entry, signs out and signs in again through /mfa.
//
// Run by scripts/test as `node --test e2e/` with RAPPORT_BIN set to the built
// binary. Needs Debian's chromium (/usr/bin/chromium) and playwright-core
// (npm ci --prefix e2e); playwright never downloads a browser here.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BIN, RESULTS, base32Decode, freshCode, launchBrowser, pathIs, runRapport, startServer, stopServer, totp,
  waitReady,
} from './helpers.mjs';

const EMAIL = 'admin@e2e.test';
const PASSWORD = 'correct horse battery staple';

// ---- TOTP (RFC 6238: HMAC-SHA-1, 6 digits, 30 s step; helpers.mjs) ------------

test('TOTP helper matches the RFC 6238 SHA-1 test vectors', () => {
  const key = base32Decode('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
  assert.equal(key.toString(), '12345678901234567890');
  assert.equal(totp(key, Math.floor(59 / 30), 8), '94287082');
  assert.equal(totp(key, Math.floor(1111111109 / 30), 8), '07081804');
  assert.equal(totp(key, Math.floor(20000000000 / 30), 8), '65353130');
});

// ---- the server under test ---------------------------------------------------

let dataDir;
let server;
let browser;
let page;
let anyFailed = false;

// ---- helpers -------------------------------------------------------------------

// Accessibility smoke check for the current page: a <title>, <html lang>, and
// a label (or aria-label) for every form field a person types into.
async function checkA11y() {
  const found = await page.evaluate(() => ({
    title: document.title.trim(),
    lang: (document.documentElement.getAttribute('lang') ?? '').trim(),
    unlabelled: [...document.querySelectorAll('input, select, textarea')]
      .filter((el) => !['hidden', 'submit', 'button', 'reset', 'image'].includes(el.type))
      .filter((el) => el.labels.length === 0
        && !el.getAttribute('aria-label')?.trim()
        && !el.getAttribute('aria-labelledby')?.trim())
      .map((el) => el.outerHTML),
  }));
  const where = new URL(page.url()).pathname;
  assert.ok(found.title, `${where}: page has no <title>`);
  assert.ok(found.lang, `${where}: <html> has no lang attribute`);
  assert.deepEqual(found.unlabelled, [], `${where}: form fields without a label`);
}

async function passwordSignIn() {
  await page.goto('/login');
  await checkA11y();
  await page.locator('input[name="email"]').fill(EMAIL);
  await page.locator('input[name="password"]').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

describe('staff journey in the browser', () => {
  before(async () => {
    assert.ok(BIN, 'RAPPORT_BIN must point to the rapport binary (scripts/test sets it)');
    dataDir = mkdtempSync(join(tmpdir(), 'rapport-e2e-'));
    mkdirSync(RESULTS, { recursive: true });

    runRapport(
      ['admin', 'create', '--email', EMAIL, '--name', 'E2E Admin', '--role', 'admin', '--data-dir', dataDir],
      { input: `${PASSWORD}\n` },
    );

    server = await startServer(dataDir);
    await waitReady(server);

    browser = await launchBrowser();
    const context = await browser.newContext({ baseURL: server.base });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
  }, { timeout: 90_000 });

  after(async () => {
    await browser?.close();
    await stopServer(server);
    if (anyFailed) console.error(`--- rapport serve output ---\n${server?.log ?? ''}`);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  // ---- the journey -------------------------------------------------------------

  test('sign-in with TOTP, client create + search, audit, sign out and in again', { timeout: 180_000 }, async (t) => {
    const suffix = randomBytes(4).toString('hex');
    const legalName = `E2E Testperson ${suffix}`;
    let key;
    let usedStep;
    let clientUrl;

    // Each step runs only if the ones before it passed; on failure it saves a
    // screenshot to e2e/test-results/ and the server output is printed.
    const step = (name, fn) => t.test(name, { skip: anyFailed && 'an earlier step failed' }, async () => {
      try {
        await fn();
      } catch (err) {
        anyFailed = true;
        const file = join(RESULTS, `failed-${name.replace(/\W+/g, '-')}.png`);
        await page?.screenshot({ path: file, fullPage: true }).catch(() => {});
        err.message += `\n(page: ${page?.url()}; screenshot: ${file})`;
        throw err;
      }
    });

    await step('password sign-in leads to TOTP setup', async () => {
      await passwordSignIn();
      await page.waitForURL(pathIs('/mfa/setup'));
      await checkA11y();
    });

    await step('turning on two-step sign-in lands on the dashboard', async () => {
      const secret = (await page.locator('#totp-secret').textContent()) ?? '';
      key = base32Decode(secret);
      assert.ok(key.length >= 10, `TOTP secret too short: ${JSON.stringify(secret)}`);
      const { step: s, code } = await freshCode(key);
      usedStep = s;
      await page.locator('input[name="code"]').fill(code);
      await page.getByRole('button', { name: 'Turn on two-step sign-in' }).click();
      await page.waitForURL(pathIs('/'));
      await checkA11y();
      const nav = page.getByRole('navigation');
      for (const link of ['Clients', 'Clinicians', 'Audit log']) {
        await nav.getByRole('link', { name: link, exact: true }).waitFor();
      }
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
      await page.screenshot({ path: join(RESULTS, 'dashboard.png'), fullPage: true });
    });

    await step('create a client', async () => {
      await page.goto('/clients/new');
      await checkA11y();
      await page.locator('input[name="legal_name"]').fill(legalName);
      await page.locator('input[name="date_of_birth"]').fill('1990-04-01');
      assert.notEqual(await page.locator('input[name="time_zone"]').inputValue(), '', 'time_zone should be prefilled');
      await page.getByRole('button', { name: 'Create client' }).click();
      await page.waitForURL(/\/clients\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      clientUrl = page.url();
      await checkA11y();
      assert.ok((await page.locator('h1').innerText()).includes(legalName), 'client page <h1> should show the legal name');
    });

    await step('find the client by search and open it', async () => {
      await page.goto('/clients');
      await checkA11y();
      await page.locator('input[name="q"]').fill(suffix);
      await page.getByRole('button', { name: 'Search' }).click();
      await page.waitForURL((url) => url.pathname === '/clients' && url.searchParams.get('q') === suffix);
      await checkA11y();
      await page.getByRole('link', { name: legalName }).click();
      await page.waitForURL(clientUrl);
      assert.ok((await page.locator('h1').innerText()).includes(legalName), 'client page <h1> should show the legal name');
    });

    await step('the audit log shows client.create', async () => {
      await page.goto('/admin/audit');
      await checkA11y();
      await page.locator('table tr').filter({ hasText: 'client.create' }).first().waitFor();
    });

    await step('sign out ends the session', async () => {
      await page.goto('/');
      // Wait for the sign-out response to commit before navigating away.
      await Promise.all([
        page.waitForEvent('framenavigated'),
        page.getByRole('button', { name: 'Sign out' }).click(),
      ]);
      await page.waitForLoadState();
      await page.goto('/');
      assert.equal(new URL(page.url()).pathname, '/login', 'a signed-out visit to / should land on /login');
    });

    await step('second sign-in goes through /mfa', async () => {
      await passwordSignIn();
      await page.waitForURL(pathIs('/mfa'));
      await checkA11y();
      const { code } = await freshCode(key, usedStep); // may wait up to 30 s
      await page.locator('input[name="code"]').fill(code);
      await page.getByRole('button', { name: 'Verify' }).click();
      await page.waitForURL(pathIs('/'));
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
    });
  });
});
