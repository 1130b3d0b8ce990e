// Browser end-to-end test of an alert reaching the clinician on call: an
// administrator puts a clinician on the rota, a care-team clinician enters a
// PHQ-9 with a critical answer in session, the on-call clinician gets an
// e-mail that names no client, follows its link, sees whom to reach (the care
// team) without the client's name, and breaks the glass from there; the alert
// then names the client and leads to the record. The notice page passes an
// axe-core scan.
//
// Run by scripts/test as `node --test e2e/` with RAPPORT_BIN set to the built
// binary. Needs Debian's chromium and playwright-core (npm ci --prefix e2e).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  BIN, FAILING_IMPACTS, RESULTS, axeScan, describeViolation, launchBrowser, pathIs,
  signInEnrollingTotp, startDemoPractice, waitForLink,
} from './helpers.mjs';

const ADMIN_EMAIL = 'olivia.grant@demo.rapport.test';
const CARE_EMAIL = 'noor.haddad@demo.rapport.test';
const CARE_NAME = 'Noor Haddad';
const DEMO_PASSWORD = 'rapport demo 2026';
// Demo clinicians who supervise nobody: one of them is not on the chosen client's care team.
const CANDIDATES = [
  ['Marcus Oyelaran', 'marcus.oyelaran@demo.rapport.test'],
  ['Sofia Reyes', 'sofia.reyes@demo.rapport.test'],
];
const REASON = 'On call: the care team does not answer and the alert has waited; I need to call the client back.';

// `YYYY-MM-DDTHH:MM` in UTC, `minutes` from now (the rota form's datetime-local value with zone UTC).
const utcIn = (minutes) => new Date(Date.now() + minutes * 60_000).toISOString().slice(0, 16);

let practice;
let server;
let mailDir;
let browser;
let anyFailed = false;

describe('an alert link for the clinician on call', () => {
  before(async () => {
    assert.ok(BIN, 'RAPPORT_BIN must point to the rapport binary (scripts/test sets it)');
    mkdirSync(RESULTS, { recursive: true });
    practice = await startDemoPractice({ name: 'alert-link', mail: true });
    ({ server, mailDir } = practice);
    browser = await launchBrowser();
  }, { timeout: 120_000 });

  after(async () => {
    await browser?.close();
    if (anyFailed) console.error(`--- rapport serve output ---\n${server?.log ?? ''}`);
    await practice?.stop();
  });

  test('the on-call clinician follows the e-mail, learns whom to reach and breaks the glass', { timeout: 240_000 }, async () => {
    const contexts = [];
    const open = async () => {
      // bypassCSP only so that axe-core can be injected.
      const context = await browser.newContext({ baseURL: server.base, bypassCSP: true });
      contexts.push(context);
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      return page;
    };
    const care = await open();
    const violations = [];
    let current = care;
    try {
      // The care-team clinician picks one of her clients whose page offers in-session entry, and its care team.
      await signInEnrollingTotp(care, CARE_EMAIL, DEMO_PASSWORD);
      await care.goto('/clients');
      const links = await care.locator('table tbody a[href^="/clients/"]').evaluateAll(
        (as) => as.map((a) => a.getAttribute('href')),
      );
      let clientPath;
      for (const href of links.slice(0, 25)) {
        await care.goto(`${href}?section=measures`);
        if (await care.locator('#measure-enter').count()) { clientPath = href; break; }
      }
      assert.ok(clientPath, `none of ${links.length} listed clients offers in-session entry`);
      const clientName = (await care.locator('h1').textContent()).trim();
      await care.goto(clientPath);
      const team = await care.locator('h2', { hasText: 'Care team' }).locator('xpath=following-sibling::ul[1]').textContent();
      const [onCallName, onCallEmail] = CANDIDATES.find(([name]) => !team.includes(name)) ?? [];
      assert.ok(onCallEmail, `every candidate is on the care team: ${team}`);

      // The administrator puts that clinician on call for the next two hours.
      const admin = await open();
      current = admin;
      await signInEnrollingTotp(admin, ADMIN_EMAIL, DEMO_PASSWORD);
      await admin.goto('/on-call');
      await admin.locator('#oc-user').selectOption({ label: onCallName });
      await admin.locator('#oc-start').fill(utcIn(-30));
      await admin.locator('#oc-end').fill(utcIn(120));
      await admin.locator('#oc-zone').fill('UTC');
      await admin.getByRole('button', { name: 'Add shift' }).click();
      await admin.waitForURL((u) => u.pathname === '/on-call' && u.search === '?done=added');

      // The answers, entered in session: item 9 is critical.
      current = care;
      await care.goto(`${clientPath}/measures/enter?instrument=phq9`);
      for (let i = 1; i <= 8; i += 1) await care.locator(`input[name="items.${i}"][value="1"]`).check();
      await care.locator('input[name="items.9"][value="2"]').check();
      await care.getByRole('button', { name: 'Save and score' }).click();
      await care.waitForURL((u) => u.pathname !== `${clientPath}/measures/enter`);

      // The e-mail to the clinician on call names no client; its link is the alert.
      const { link, message } = await waitForLink(mailDir, onCallEmail, '/alerts/', 'on-call alert');
      assert.ok(link.startsWith(`${server.base}/alerts/`), link);
      for (const secret of [clientName.split(' ')[0], 'PHQ']) {
        assert.ok(!message.body.includes(secret), `the e-mail shows ${secret}: ${message.body}`);
      }

      const onCall = await open();
      current = onCall;
      await signInEnrollingTotp(onCall, onCallEmail, DEMO_PASSWORD);
      await onCall.goto(link);
      await onCall.getByRole('heading', { level: 1, name: `An alert for a client of ${CARE_NAME}` }).waitFor();
      const notice = await onCall.locator('main').textContent();
      assert.ok(!notice.includes(clientName), 'the notice names the client');
      assert.match(notice, /Not acknowledged yet/);
      violations.push(...(await axeScan(onCall)));

      // Too short a reason is refused beside the field; then the glass is broken.
      await onCall.getByLabel('Why you need this record now').fill('urgent');
      await onCall.getByRole('button', { name: "Open the client's record in an emergency" }).click();
      await onCall.getByRole('alert').filter({ hasText: 'Nothing was opened' }).waitFor();
      await onCall.getByLabel('Why you need this record now').fill(REASON);
      await onCall.getByRole('button', { name: "Open the client's record in an emergency" }).click();
      const alertPath = new URL(link).pathname;
      await onCall.waitForURL(pathIs(alertPath));
      await onCall.getByRole('link', { name: clientName }).click();
      await onCall.waitForURL(pathIs(clientPath));
      await onCall.getByRole('heading', { level: 1, name: clientName }).waitFor();
    } catch (err) {
      anyFailed = true;
      const file = join(RESULTS, 'failed-alert-link.png');
      await current.screenshot({ path: file, fullPage: true }).catch(() => {});
      err.message += `\n(page: ${current.url()}; screenshot: ${file})`;
      throw err;
    } finally {
      for (const c of contexts) await c.close();
    }
    const warnings = violations.filter((v) => !FAILING_IMPACTS.has(v.impact));
    if (warnings.length > 0) {
      console.warn(`axe-core warnings (moderate/minor, not failing):\n${warnings.map(describeViolation).join('\n')}`);
    }
    const failing = violations.filter((v) => FAILING_IMPACTS.has(v.impact));
    assert.equal(failing.length, 0, `axe-core:\n${failing.map(describeViolation).join('\n')}`);
  });
});
