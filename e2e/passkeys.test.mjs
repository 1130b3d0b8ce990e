// Browser end-to-end test of passkeys: a staff member adds a passkey from the account page with Chromium's
// virtual authenticator (Chrome DevTools Protocol, WebAuthn domain), signs out, signs in with the password and the
// passkey (a tampered answer is refused), then with the passkey alone.
//
// WebAuthn needs a domain name (an IP address is no relying party id), and accepts plain HTTP only on localhost:
// the server is told its public address is http://localhost:<port>, and the browser goes there.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BIN, RESULTS, launchBrowser, pathIs, runRapport, signInEnrollingTotp, startServer, stopServer, waitReady,
} from './helpers.mjs';

const EMAIL = 'passkey@e2e.test';
const PASSWORD = 'correct horse battery staple';

let dataDir;
let server;
let browser;
let context;
let page;
let cdp;
let authenticatorId;
let anyFailed = false;

const localhost = (base) => base.replace('127.0.0.1', 'localhost');

async function passwordSignIn() {
  await page.goto('/login');
  await page.locator('input[name="email"]').fill(EMAIL);
  await page.locator('input[name="password"]').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(pathIs('/mfa'));
}

async function signOut() {
  await page.goto('/');
  await Promise.all([
    page.waitForEvent('framenavigated'),
    page.getByRole('button', { name: 'Sign out' }).click(),
  ]);
  await page.waitForLoadState();
}

describe('passkeys in the browser', () => {
  before(async () => {
    assert.ok(BIN, 'RAPPORT_BIN must point to the rapport binary (scripts/test sets it)');
    dataDir = mkdtempSync(join(tmpdir(), 'rapport-e2e-passkeys-'));
    mkdirSync(RESULTS, { recursive: true });
    runRapport(
      ['admin', 'create', '--email', EMAIL, '--name', 'Pat Passkey', '--role', 'admin', '--data-dir', dataDir],
      { input: `${PASSWORD}\n` },
    );
    server = await startServer(dataDir, (base) => ['--public-url', localhost(base)]);
    await waitReady(server);
    browser = await launchBrowser();
    context = await browser.newContext({ baseURL: localhost(server.base) });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    ({ authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
      },
    }));
  }, { timeout: 90_000 });

  after(async () => {
    await browser?.close();
    await stopServer(server);
    if (anyFailed) console.error(`--- rapport serve output ---\n${server?.log ?? ''}`);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('add a passkey, then sign in with password and passkey', { timeout: 180_000 }, async (t) => {
    const step = (name, fn) => t.test(name, { skip: anyFailed && 'an earlier step failed' }, async () => {
      try {
        await fn();
      } catch (err) {
        anyFailed = true;
        const file = join(RESULTS, `failed-passkeys-${name.replace(/\W+/g, '-')}.png`);
        await page?.screenshot({ path: file, fullPage: true }).catch(() => {});
        err.message += `\n(page: ${page?.url()}; screenshot: ${file})`;
        throw err;
      }
    });

    await step('first sign-in sets up the authenticator app', async () => {
      await signInEnrollingTotp(page, EMAIL, PASSWORD);
    });

    await step('a wrong password adds no passkey', async () => {
      await page.goto('/account');
      await page.getByLabel('Passkey name').fill('work laptop');
      await page.locator('#passkey_password').fill('not the password');
      await page.getByRole('button', { name: 'Add a passkey' }).click();
      const error = page.locator('#passkey-error');
      await error.waitFor({ state: 'visible' });
      assert.match(await error.innerText(), /password/i);
      const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
      assert.equal(credentials.length, 0, 'no credential was created');
    });

    await step('the account page adds a passkey through the virtual authenticator', async () => {
      await page.goto('/account');
      await page.getByLabel('Passkey name').fill('work laptop');
      await page.locator('#passkey_password').fill(PASSWORD);
      await Promise.all([
        page.waitForEvent('framenavigated'),
        page.getByRole('button', { name: 'Add a passkey' }).click(),
      ]);
      await page.locator('#passkeys tr').filter({ hasText: 'work laptop' }).waitFor();
      const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
      assert.equal(credentials.length, 1, 'the authenticator holds the new credential');
      assert.equal(credentials[0].rpId, 'localhost');
      assert.equal(credentials[0].isResidentCredential, true, 'discoverable, so it can sign in alone');
    });

    await step('after the password, a tampered answer is refused', async () => {
      await signOut();
      await passwordSignIn();
      // Flip one byte of the signature on its way to the server.
      await page.route('**/mfa/passkey', async (route) => {
        const body = JSON.parse(route.request().postData());
        const sig = Buffer.from(body.credential.response.signature, 'base64url');
        sig[sig.length - 1] ^= 0x01;
        body.credential.response.signature = sig.toString('base64url');
        await route.continue({ postData: JSON.stringify(body) });
      });
      await page.getByRole('button', { name: 'Use a passkey' }).click();
      const error = page.locator('#passkey-error');
      await error.waitFor({ state: 'visible' });
      assert.match(await error.innerText(), /not accepted/);
      await page.unroute('**/mfa/passkey');
      await page.goto('/');
      assert.equal(new URL(page.url()).pathname, '/mfa', 'still at the second step');
    });

    await step('the passkey completes sign-in', async () => {
      await page.goto('/mfa');
      await page.getByRole('button', { name: 'Use a passkey' }).click();
      await page.waitForURL(pathIs('/'));
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
      await page.goto('/account');
      const row = page.locator('#passkeys tr').filter({ hasText: 'work laptop' });
      assert.doesNotMatch(await row.innerText(), /never/, 'the passkey shows its last use');
    });

    await step('the passkey alone signs in from the sign-in page', async () => {
      await signOut();
      await page.goto('/login');
      await page.getByRole('button', { name: 'Use a passkey instead' }).click();
      await page.waitForURL(pathIs('/'));
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
    });

    await step('the audit log records the passkey added and used', async () => {
      await page.goto('/admin/audit');
      await page.locator('table tr').filter({ hasText: 'auth.passkey.add' }).first().waitFor();
      await page.locator('table tr').filter({ hasText: /auth\.passkey\b(?!\.)/ }).first().waitFor();
      await page.locator('table tr').filter({ hasText: 'auth.passkey.sign_in' }).first().waitFor();
    });
  });
});
