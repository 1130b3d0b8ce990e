// Browser accessibility test on the demo practice: an axe-core scan (WCAG 2 A
// and AA rules) of the main pages (a new couple's form and page among them), and of the print pages a clinician makes (a
// signed note's print page, a client's printable record export, the referrals
// waiting for an answer after recording one), a phone-width
// layout check, and keyboard order and submit on the sign-in form.
//
// Run by scripts/test as `node --test e2e/` with RAPPORT_BIN set to the built
// binary. Needs Debian's chromium (/usr/bin/chromium), playwright-core and
// axe-core (npm ci --prefix e2e).
//
// Violations of impact 'serious' or 'critical' fail the test; 'moderate' and
// 'minor' ones are printed as warnings.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AXE_OPTIONS, BIN, FAILING_IMPACTS, RESULTS, axeScan, base32Decode, describeViolation, freshCode, launchBrowser,
  pathIs, runRapport, signInEnrollingTotp, startServer, stopServer, waitReady,
} from './helpers.mjs';


// The demo practice (`rapport demo`): every account has this password and
// enrols TOTP at its first sign-in.
const ADMIN_EMAIL = 'olivia.grant@demo.rapport.test';
// A demo supervisor (her notes need no co-signature) on the care team of some demo clients.
const CLINICIAN_EMAIL = 'helena.marsh@demo.rapport.test';
const NOTE_PATH = /^\/notes\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DEMO_PASSWORD = 'rapport demo 2026';

const PHONE = { width: 375, height: 740 };
const UUID_PATH = /^\/clients\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let dataDir;
let server;
let browser;
let anyFailed = false;
// Set by the axe test once the administrator is signed in (cookies), and the
// first client's page it found; the phone test reuses both.
let signedInState;
let clientPath;

// ---- helpers -------------------------------------------------------------------

// Runs `fn(page)`; on failure saves a full-page screenshot to test-results/
// and adds the page's URL to the error.
async function withScreenshot(page, name, fn) {
  try {
    return await fn(page);
  } catch (err) {
    anyFailed = true;
    const file = join(RESULTS, `failed-a11y-${name.replace(/\W+/g, '-')}.png`);
    await page.screenshot({ path: file, fullPage: true }).catch(() => {});
    err.message += `\n(page: ${page.url()}; screenshot: ${file})`;
    throw err;
  }
}

// Opens `path` and checks it answered 2xx without a redirect elsewhere (a
// redirect to /login would mean the session was lost).
async function open(page, path) {
  const res = await page.goto(path);
  assert.ok(res?.ok(), `GET ${path} answered ${res?.status()}`);
  assert.equal(new URL(page.url()).pathname, new URL(path, 'http://x').pathname, `GET ${path} ended elsewhere`);
}

describe('accessibility of the demo practice', () => {
  before(async () => {
    assert.ok(BIN, 'RAPPORT_BIN must point to the rapport binary (scripts/test sets it)');
    dataDir = mkdtempSync(join(tmpdir(), 'rapport-e2e-a11y-'));
    mkdirSync(RESULTS, { recursive: true });

    runRapport(['--data-dir', dataDir, 'demo', '--clients', '40']);

    // --demo: no e-mail server, so the demo mailbox shows what would have been sent.
    server = await startServer(dataDir, () => ['--demo']);
    await waitReady(server);

    browser = await launchBrowser();
  }, { timeout: 90_000 });

  after(async () => {
    await browser?.close();
    await stopServer(server);
    if (anyFailed) console.error(`--- rapport serve output ---\n${server?.log ?? ''}`);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('axe-core finds no serious or critical WCAG 2 A/AA violations', { timeout: 180_000 }, async () => {
    // The pages forbid inline script (CSP); bypassCSP lets axe be injected.
    const context = await browser.newContext({ baseURL: server.base, bypassCSP: true });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const violations = [];
    const scanned = [];
    // Scans `path`, or the current page when no path is given.
    const scan = async (path) => {
      await withScreenshot(page, path ?? new URL(page.url()).pathname, async () => {
        if (path !== undefined) await open(page, path);
        violations.push(...(await axeScan(page)));
        scanned.push(new URL(page.url()).pathname);
      });
    };

    try {
      await scan('/login');

      await withScreenshot(page, 'sign-in', async () => {
        await page.locator('input[name="email"]').fill(ADMIN_EMAIL);
        await page.locator('input[name="password"]').fill(DEMO_PASSWORD);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.waitForURL(pathIs('/mfa/setup'));
      });
      await scan(); // /mfa/setup, as reached after the password

      await withScreenshot(page, 'totp-enrolment', async () => {
        const secret = (await page.locator('#totp-secret').textContent()) ?? '';
        const { code } = await freshCode(base32Decode(secret));
        await page.locator('input[name="code"]').fill(code);
        await page.getByRole('button', { name: 'Turn on two-step sign-in' }).click();
        await page.waitForURL(pathIs('/'));
      });
      signedInState = await context.storageState();
      await scan(); // the dashboard, as reached after enrolment

      await scan('/clients');
      clientPath = await withScreenshot(page, 'first-client-link', async () => {
        const href = await page.locator('table tbody a[href^="/clients/"]').first().getAttribute('href');
        assert.match(href ?? '', UUID_PATH, 'first link in the client list');
        return href;
      });
      await scan(clientPath);
      // The sections of the client's file an administrator may open (the clinical ones are the care team's).
      await scan(`${clientPath}?section=sessions`);
      await scan(`${clientPath}?section=record`);
      for (const path of ['/clients/new', '/clinicians', '/groups', '/waitlist', '/waitlist?client_q=a', '/appointments/new', '/appointments/new?client_q=a', '/record-requests', '/admin/users', '/admin/audit', '/admin/settings', '/admin/mail', '/admin/mail?all=1', '/demo/mailbox', '/account', '/on-call', `${clientPath}/portal`]) {
        await scan(path);
      }
      // A practice setting changed from its page: saved with a sentence that says what changed; a refused value
      // is said beside its own field, as typed, and the page with the error passes the scan too.
      await withScreenshot(page, 'settings', async () => {
        await open(page, '/admin/settings');
        await page.getByLabel('Late cancellation: hours before a session').fill('24');
        await page.getByRole('button', { name: 'Save the cancellation window' }).click();
        await page.getByRole('status').filter({ hasText: 'later than 24 hours before a session counts as a late cancellation' }).waitFor();
        await page.getByLabel('Hours before a session that its reminder goes out').fill('999');
        await page.getByRole('button', { name: 'Save reminders' }).click();
        await page.locator('#reminder-hours-e').filter({ hasText: 'between 0 and 336 hours' }).waitFor();
        assert.equal(await page.getByLabel('Hours before a session that its reminder goes out').inputValue(), '999');
        assert.equal(await page.getByLabel('Late cancellation: hours before a session').getAttribute('aria-invalid'), null);
      });
      await scan();
      // A couple started from the client's page: the new-unit form with search results, then the couple's page
      // with its change forms (an administrator may change any unit).
      const clientId = clientPath.split('/').pop();
      await scan(`/units/new?with=${clientId}&q=a`);
      await withScreenshot(page, 'new-unit', async () => {
        await page.locator('ul.candidates a').first().click();
        await page.locator('section[aria-labelledby="picked-h"] li').nth(1).waitFor();
        await page.getByLabel('Name', { exact: true }).fill('Couple for the scan');
        await page.getByRole('button', { name: 'Create' }).click();
        await page.waitForURL((u) => /^\/units\/[0-9a-f-]{36}$/.test(u.pathname));
      });
      await scan(); // the couple's page
      // On a phone, a table whose last column holds the actions scrolls sideways instead of hiding them.
      const wide = page.viewportSize();
      await page.setViewportSize({ width: 375, height: 740 });
      await page.goto('/admin/users');
      const action = page.locator('.table-scroll table tbody tr').first().locator('button').first();
      assert.ok(await action.isVisible(), "a user's action button is shown at 375 px");
      await page.setViewportSize(wide);
      // A clinician's availability editor (weekly hours per place, time off, online booking), as an administrator.
      await scan('/clinicians');
      const clinicianPath = await withScreenshot(page, 'first-clinician-link', async () => {
        const href = await page.locator('table tbody a[href^="/clinicians/"]').first().getAttribute('href');
        assert.match(href ?? '', /^\/clinicians\/[0-9a-f-]{36}$/, 'first link in the clinician list');
        return href;
      });
      await scan(`${clinicianPath}/availability`);
    } finally {
      await context.close();
    }

    const failing = violations.filter((v) => FAILING_IMPACTS.has(v.impact));
    const warnings = violations.filter((v) => !FAILING_IMPACTS.has(v.impact));
    console.log(`axe-core ${AXE_OPTIONS.runOnly.values.join('+')} scanned: ${scanned.join(', ')}`);
    if (warnings.length > 0) {
      console.warn(`axe-core warnings (moderate/minor, not failing):\n${warnings.map(describeViolation).join('\n')}`);
    }
    if (failing.length > 0) anyFailed = true;
    assert.equal(
      failing.length, 0,
      `axe-core found ${failing.length} serious/critical violation(s):\n${failing.map(describeViolation).join('\n')}`,
    );
  });

  test('axe-core: a signed note\'s print page and a client\'s record export, as a clinician', { timeout: 180_000 }, async () => {
    const context = await browser.newContext({ baseURL: server.base, bypassCSP: true });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const violations = [];
    const scanned = [];
    try {
      await withScreenshot(page, 'clinician-sign-in', () => signInEnrollingTotp(page, CLINICIAN_EMAIL, DEMO_PASSWORD));
      // Her first client whose page offers to start a note (she is on their care team).
      const clientOfHers = await withScreenshot(page, 'clinician-client', async () => {
        await open(page, '/clients');
        const links = await page.locator('table tbody a[href^="/clients/"]').evaluateAll(
          (as) => as.map((a) => a.getAttribute('href')),
        );
        for (const href of links.slice(0, 25)) {
          await open(page, `${href}?section=notes`);
          if (await page.locator('#note-template').count()) return href;
        }
        assert.fail(`none of ${links.length} listed clients offers "Start note"`);
      });
      const notePath = await withScreenshot(page, 'write-and-sign', async () => {
        await page.locator('#note-template').selectOption({ label: 'Progress note (SOAP)' });
        await page.getByRole('button', { name: 'Start note' }).click();
        await page.waitForURL((u) => NOTE_PATH.test(u.pathname));
        const path = new URL(page.url()).pathname;
        await page.getByLabel('Subjective').fill('Reports sleeping better since starting the wind-down routine.');
        await page.getByLabel('Objective').fill('Calm, engaged; affect brighter than last week.');
        await page.getByLabel('Assessment').fill('Depressive symptoms easing; behavioural activation is working.');
        await page.getByLabel('Plan').fill('Continue weekly; add one social activity.');
        await page.getByLabel('Risk').selectOption('low');
        await page.getByRole('button', { name: 'Save and sign…' }).click();
        await page.waitForURL(pathIs(`${path}/sign`));
        await page.getByRole('button', { name: 'Sign and lock' }).click();
        await page.waitForURL(pathIs(path));
        return path;
      });
      // Every section of her client's file, with the note just signed in it.
      for (const key of ['', '?section=sessions', '?section=notes', '?section=plans', '?section=measures', '?section=behaviour', '?section=record']) {
        const path = `${clientOfHers}${key}`;
        await withScreenshot(page, path, async () => {
          await open(page, path);
          violations.push(...(await axeScan(page)));
          scanned.push(path);
        });
      }
      for (const path of [`${notePath}/print`, `${clientOfHers}/export`]) {
        await withScreenshot(page, path, async () => {
          await open(page, path);
          violations.push(...(await axeScan(page)));
          scanned.push(path);
        });
      }
      // The export holds the note just signed: the scan looked at a record with content in it.
      assert.match(await page.locator('main').textContent(), /sleeping better since starting/);
      // The safety plan editor of the same client.
      await withScreenshot(page, 'safety-plan', async () => {
        await open(page, `${clientOfHers}/safety-plan`);
        await page.getByLabel('People I can ask for help').waitFor();
        violations.push(...(await axeScan(page)));
        scanned.push(`${clientOfHers}/safety-plan`);
      });
      await withScreenshot(page, 'medications', async () => {
        await open(page, `${clientOfHers}/medications`);
        await page.getByLabel('Dose and schedule').waitFor();
        violations.push(...(await axeScan(page)));
        scanned.push(`${clientOfHers}/medications`);
      });
      await withScreenshot(page, 'referrals', async () => {
        await open(page, `${clientOfHers}/referrals`);
        await page.getByLabel('To (person or service)').waitFor();
        violations.push(...(await axeScan(page)));
        scanned.push(`${clientOfHers}/referrals`);
      });
      // A referral she records waits for an answer on the practice's list, reached from the navigation, which
      // leads back to it on the client's referrals page.
      await withScreenshot(page, 'referrals-waiting', async () => {
        await page.getByLabel('To (person or service)').fill('Dr. Waiting, memory clinic');
        await page.getByLabel('Reason').fill('Assessment of memory complaints.');
        await page.getByRole('button', { name: 'Record the referral' }).click();
        await page.waitForURL((u) => u.pathname === `${clientOfHers}/referrals` && u.search === '?done=referred');
        await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Referrals', exact: true }).click();
        await page.waitForURL(pathIs('/referrals'));
        assert.match(await page.locator('#count').textContent(), /^Showing 1–\d+ of \d+ referrals? waiting for an answer\.$/);
        const row = page.locator('table.referrals-waiting tbody tr', { hasText: 'Dr. Waiting, memory clinic' });
        assert.match(await row.textContent(), /Routine[\s\S]*\d+ days?/);
        violations.push(...(await axeScan(page)));
        scanned.push('/referrals');
        await row.getByRole('link').click();
        await page.waitForURL(pathIs(`${clientOfHers}/referrals`));
      });
    } finally {
      await context.close();
    }
    const failing = violations.filter((v) => FAILING_IMPACTS.has(v.impact));
    const warnings = violations.filter((v) => !FAILING_IMPACTS.has(v.impact));
    console.log(`axe-core ${AXE_OPTIONS.runOnly.values.join('+')} scanned: ${scanned.join(', ')}`);
    if (warnings.length > 0) {
      console.warn(`axe-core warnings (moderate/minor, not failing):\n${warnings.map(describeViolation).join('\n')}`);
    }
    if (failing.length > 0) anyFailed = true;
    assert.equal(
      failing.length, 0,
      `axe-core found ${failing.length} serious/critical violation(s):\n${failing.map(describeViolation).join('\n')}`,
    );
  });

  test('phone width (375 px): client list and client page do not scroll sideways', { timeout: 60_000 }, async () => {
    assert.ok(signedInState && clientPath, 'needs the sign-in and client link from the axe test');
    const context = await browser.newContext({ baseURL: server.base, viewport: PHONE, storageState: signedInState });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    try {
      for (const [path, shot] of [['/clients', 'phone-clients.png'], [clientPath, 'phone-client.png']]) {
        await withScreenshot(page, `phone ${path}`, async () => {
          await open(page, path);
          await page.screenshot({ path: join(RESULTS, shot), fullPage: true });
          const { scrollWidth, innerWidth, wide } = await page.evaluate(() => ({
            scrollWidth: document.documentElement.scrollWidth,
            innerWidth: window.innerWidth,
            // The elements sticking out to the right, to name in the failure.
            wide: [...document.querySelectorAll('body *')]
              .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
              .slice(0, 5)
              .map((el) => el.outerHTML.slice(0, 160)),
          }));
          assert.ok(
            scrollWidth <= innerWidth + 1,
            `${path} scrolls horizontally at ${PHONE.width}×${PHONE.height}: scrollWidth ${scrollWidth} > innerWidth ${innerWidth}`
              + ` (screenshot ${shot}); elements past the right edge:\n  ${wide.join('\n  ')}`,
          );
        });
      }
    } finally {
      await context.close();
    }
  });

  test('keyboard: Tab order on /login, and Enter in the password field submits', { timeout: 60_000 }, async () => {
    const context = await browser.newContext({ baseURL: server.base });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    try {
      await withScreenshot(page, 'keyboard-login', async () => {
        await open(page, '/login');
        const focused = () => page.evaluate(() => {
          const el = document.activeElement;
          if (!el || el === document.body) return 'body';
          const text = (el.textContent ?? '').trim();
          return `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className ? `.${[...el.classList].join('.')}` : ''}`
            + `${el.getAttribute('name') ? `[name=${el.getAttribute('name')}]` : ''}${text ? ` "${text}"` : ''}`;
        });
        const expected = [
          ['the skip link', 'a.skip'],
          ['the e-mail field', 'input[name="email"]'],
          ['the password field', 'input[name="password"]'],
          ['the "Sign in" button', 'button[type="submit"]:text-is("Sign in")'],
        ];
        const seen = [];
        for (const [what, selector] of expected) {
          await page.keyboard.press('Tab');
          seen.push(await focused());
          const isFocused = await page.locator(selector).evaluate((el) => el === document.activeElement);
          assert.ok(isFocused, `Tab ${seen.length} should focus ${what} (${selector}); focus so far: ${seen.join(' → ')}`);
        }

        await page.locator('input[name="email"]').fill(ADMIN_EMAIL);
        await page.locator('input[name="password"]').fill(DEMO_PASSWORD);
        await page.locator('input[name="password"]').focus();
        const [request] = await Promise.all([
          page.waitForRequest((req) => req.method() === 'POST' && new URL(req.url()).pathname === '/login'),
          page.keyboard.press('Enter'),
        ]);
        assert.match(request.postData() ?? '', /(^|&)email=/, 'the POST carries the form fields');
        // The administrator enrolled TOTP in the axe test (then /mfa), or not
        // if that test stopped early (then /mfa/setup): either way, signed in
        // with the password.
        await page.waitForURL((url) => url.pathname === '/mfa' || url.pathname === '/mfa/setup');
      });
    } finally {
      await context.close();
    }
  });
});
