// Browser end-to-end test: a staff member signs in with a password, turns on
// TOTP two-step sign-in, creates a client, finds it by search, sees the audit
// entry, signs out and signs in again through /mfa.
//
// Run by scripts/test as `node --test e2e/` with RAPPORT_BIN set to the built
// binary. Needs Debian's chromium (/usr/bin/chromium) and playwright-core
// (npm ci --prefix e2e); playwright never downloads a browser here.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';

const BIN = process.env.RAPPORT_BIN;
const EMAIL = 'admin@e2e.test';
const PASSWORD = 'correct horse battery staple';
const RESULTS = fileURLToPath(new URL('./test-results/', import.meta.url));
// The binary also reads settings from RAPPORT_* variables (database URL,
// listen address, ...): keep any set in the caller's shell out of this test.
const CHILD_ENV = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !name.startsWith('RAPPORT_')),
);
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  // The machine has no network but the registries: without these Chromium
  // keeps trying (and failing) to reach Google's services.
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

// ---- TOTP (RFC 6238: HMAC-SHA-1, 6 digits, 30 s step) ------------------------

function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const bytes = [];
  let bits = 0;
  let value = 0;
  for (const ch of text.toUpperCase().replace(/[\s=-]/g, '')) {
    const index = alphabet.indexOf(ch);
    if (index < 0) throw new Error(`not base32: ${JSON.stringify(ch)} in ${JSON.stringify(text)}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((value >>> bits) & 0xff);
      value &= (1 << bits) - 1; // keep only the bits not yet emitted
    }
  }
  return Buffer.from(bytes);
}

function totp(key, step, digits = 6) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

// A code for a 30 s step other than `usedStep` (the server rejects a code
// reused within its step) with at least 3 s left, so it cannot expire between
// typing and the server checking it. Waits for the next step when needed.
async function freshCode(key, usedStep = -1) {
  for (;;) {
    const now = Date.now() / 1000;
    const step = Math.floor(now / 30);
    const left = 30 - (now % 30);
    if (step !== usedStep && left >= 3) return { step, code: totp(key, step) };
    await sleep(left * 1000 + 250);
  }
}

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
let serverLog = '';
let browser;
let page;
let anyFailed = false;

async function freePort() {
  const probe = createServer();
  await new Promise((resolve, reject) => probe.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

async function waitReady(base) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null || server.signalCode !== null) {
      throw new Error(`rapport serve exited (${server.exitCode ?? server.signalCode}) before /readyz answered`);
    }
    try {
      const res = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(1_000) });
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`GET ${base}/readyz did not answer 200 within 30 s`);
}

// ---- helpers -------------------------------------------------------------------

const pathIs = (path) => (url) => url.pathname === path;

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

    const create = spawnSync(
      BIN,
      ['admin', 'create', '--email', EMAIL, '--name', 'E2E Admin', '--role', 'admin', '--data-dir', dataDir],
      { input: `${PASSWORD}\n`, encoding: 'utf8', timeout: 60_000, env: CHILD_ENV },
    );
    assert.equal(create.status, 0, `rapport admin create failed (${create.status ?? create.error}):\n${create.stdout ?? ''}${create.stderr ?? ''}`);

    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    server = spawn(BIN, ['serve', '--data-dir', dataDir, '--listen', `127.0.0.1:${port}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: CHILD_ENV,
    });
    server.stdout.on('data', (chunk) => { serverLog += chunk; });
    server.stderr.on('data', (chunk) => { serverLog += chunk; });
    try {
      await waitReady(base);
    } catch (err) {
      err.message += `\n--- rapport serve output ---\n${serverLog}`;
      throw err;
    }

    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    const context = await browser.newContext({ baseURL: base });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
  }, { timeout: 90_000 });

  after(async () => {
    await browser?.close();
    if (server && server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      const timer = setTimeout(() => server.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    if (anyFailed) console.error(`--- rapport serve output ---\n${serverLog}`);
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
