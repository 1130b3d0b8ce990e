// Browser end-to-end test of public online booking on the demo practice: an administrator turns online booking
// on; a visitor whose browser is in Tokyo sees the clinicians described in words (specialisations, age groups,
// languages: "older adults", "German", never a code) and, on a clinician's page, the times in Asia/Tokyo, chosen
// for them by the page's script from the browser's zone; a visitor without script gets the practice's zone
// preselected and may choose another from the list. Both public pages pass an axe-core scan.
//
// Run by scripts/test as `node --test e2e/` with RAPPORT_BIN set to the built binary. Needs Debian's chromium and
// playwright-core (npm ci --prefix e2e).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BIN, FAILING_IMPACTS, RESULTS, axeScan, describeViolation, launchBrowser,
  runRapport, signInEnrollingTotp, startServer, stopServer, waitReady,
} from './helpers.mjs';

const ADMIN_EMAIL = 'olivia.grant@demo.rapport.test';
const DEMO_PASSWORD = 'rapport demo 2026';
const VISITOR_ZONE = 'Asia/Tokyo';

let dataDir;
let server;
let browser;
let anyFailed = false;

describe('public online booking', () => {
  before(async () => {
    assert.ok(BIN, 'RAPPORT_BIN must point to the rapport binary (scripts/test sets it)');
    dataDir = mkdtempSync(join(tmpdir(), 'rapport-e2e-booking-'));
    mkdirSync(RESULTS, { recursive: true });
    runRapport(['--data-dir', dataDir, 'demo', '--clients', '40']);
    server = await startServer(dataDir);
    await waitReady(server);
    browser = await launchBrowser();
  }, { timeout: 90_000 });

  after(async () => {
    await browser?.close();
    await stopServer(server);
    if (anyFailed) console.error(`--- rapport serve output ---\n${server?.log ?? ''}`);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('clinicians in words; times in the browser\'s zone, or the practice\'s without script', { timeout: 180_000 }, async () => {
    const admin = await browser.newContext({ baseURL: server.base });
    const visitor = await browser.newContext({ baseURL: server.base, bypassCSP: true, timezoneId: VISITOR_ZONE });
    const plain = await browser.newContext({ baseURL: server.base, javaScriptEnabled: false, timezoneId: VISITOR_ZONE });
    const violations = [];
    let current;
    try {
      // The administrator turns online booking on (through the API, with the session's CSRF token).
      const page = await admin.newPage();
      page.setDefaultTimeout(15_000);
      current = page;
      await signInEnrollingTotp(page, ADMIN_EMAIL, DEMO_PASSWORD);
      const csrf = await page.locator('input[name="_csrf"]').first().inputValue();
      const on = await page.request.put('/api/v1/settings/online-booking', {
        headers: { 'X-CSRF-Token': csrf },
        data: { enabled: true, min_notice_hours: 24, horizon_days: 21, approve_new_clients: true, new_client_type: 'consultation', existing_client_type: 'individual' },
      });
      assert.equal(on.status(), 204, await on.text());
      const locations = await (await page.request.get('/api/v1/locations')).json();
      const practiceZones = locations.length ? locations.map((l) => l.time_zone) : ['UTC'];

      // The visitor's browser is in Tokyo.
      const v = await visitor.newPage();
      v.setDefaultTimeout(15_000);
      current = v;
      await v.goto('/book');
      await v.getByRole('heading', { level: 1, name: 'Book an appointment' }).waitFor();
      const cards = await v.locator('.cards').innerText();
      assert.match(cards, /Languages: [A-Z][a-z]+/, cards);
      assert.match(cards, /Works with (children|adolescents|adults|older adults)/, cards);
      assert.match(cards, /Specialises in /, cards);
      const code = cards.match(/\b[a-z]+_[a-z_]+\b|Languages: [^.]*\b[a-z]{2}\b/);
      assert.equal(code, null, `a code on the booking page: ${code?.[0]}`);
      violations.push(...(await axeScan(v)));

      const first = v.locator('.cards a.card').first();
      const href = await first.getAttribute('href');
      await first.click();
      // The script asks for the page again in the browser's zone.
      await v.waitForURL((u) => u.pathname === href && u.searchParams.get('tz') === VISITOR_ZONE);
      assert.equal(await v.locator('#tz').inputValue(), VISITOR_ZONE);
      await v.locator('legend', { hasText: `Choose a time (${VISITOR_ZONE})` }).or(v.getByText('No free time in the coming weeks')).first().waitFor();
      assert.match(await v.locator('main').innerText(), /Languages: [A-Z]/);
      violations.push(...(await axeScan(v)));

      // Without script the practice's zone is preselected; choosing another zone shows the times in it.
      const p = await plain.newPage();
      p.setDefaultTimeout(15_000);
      current = p;
      await p.goto(href);
      const preselected = await p.locator('#tz').inputValue();
      assert.ok(practiceZones.includes(preselected), `preselected ${preselected}, the practice's: ${practiceZones.join(', ')}`);
      await p.locator('#tz').selectOption('America/Port_of_Spain');
      await p.getByRole('button', { name: 'Show' }).click();
      await p.waitForURL((u) => u.pathname === href && u.searchParams.get('tz') === 'America/Port_of_Spain');
      assert.equal(await p.locator('#tz').inputValue(), 'America/Port_of_Spain');
      assert.match(await p.locator('#tz option:checked').innerText(), /^America\/Port of Spain$/);
    } catch (err) {
      anyFailed = true;
      const file = join(RESULTS, 'failed-booking.png');
      await current?.screenshot({ path: file, fullPage: true }).catch(() => {});
      err.message += `\n(page: ${current?.url()}; screenshot: ${file})`;
      throw err;
    } finally {
      await admin.close();
      await visitor.close();
      await plain.close();
    }
    const warnings = violations.filter((x) => !FAILING_IMPACTS.has(x.impact));
    if (warnings.length > 0) {
      console.warn(`axe-core warnings (moderate/minor, not failing):\n${warnings.map(describeViolation).join('\n')}`);
    }
    const failing = violations.filter((x) => FAILING_IMPACTS.has(x.impact));
    assert.equal(failing.length, 0, `axe-core:\n${failing.map(describeViolation).join('\n')}`);
  });
});
