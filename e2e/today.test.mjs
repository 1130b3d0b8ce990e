// Browser end-to-end test of the Today page on the demo practice, whose week
// starts today: the front desk lands on Today, sees today's arrivals and checks
// one client in; a clinician with sessions today lands on Today, starts the
// note of a session with one button (a draft linked to the appointment), and
// finds it again on Today as "Open note" and among the notes to sign (the draft
// shows the session: time, length, CPT code, participants). Today
// passes an axe-core scan for both roles.
//
// Run by scripts/test as `node --test e2e/` with RAPPORT_BIN set to the built
// binary. Needs Debian's chromium (/usr/bin/chromium) and playwright-core.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BIN, FAILING_IMPACTS, RESULTS, axeScan, describeViolation, launchBrowser, runRapport, signInEnrollingTotp, startServer, stopServer, waitReady,
} from './helpers.mjs';

const SCHEDULER_EMAIL = 'daniel.kim@demo.rapport.test';
const DEMO_PASSWORD = 'rapport demo 2026';
const NOTE_PATH = /^\/notes\/[0-9a-f-]{36}$/;

let dataDir;
let server;
let browser;
let staff; // [{ email, name, roles }] from the demo's output
let anyFailed = false;

async function guarded(page, name, fn) {
  try {
    return await fn();
  } catch (err) {
    anyFailed = true;
    const file = join(RESULTS, `failed-today-${name}.png`);
    await page.screenshot({ path: file, fullPage: true }).catch(() => {});
    err.message += `\n(page: ${page.url()}; screenshot: ${file})`;
    throw err;
  }
}

async function assertAccessible(page) {
  const failing = (await axeScan(page)).filter((v) => FAILING_IMPACTS.has(v.impact));
  assert.equal(failing.length, 0, `axe-core violations on ${new URL(page.url()).pathname}:\n${failing.map(describeViolation).join('\n')}`);
}

async function newPage() {
  // bypassCSP only so that axe-core can be injected (the pages forbid inline script).
  const context = await browser.newContext({ baseURL: server.base, bypassCSP: true });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  return page;
}

describe('Today (demo practice)', () => {
  before(async () => {
    assert.ok(BIN, 'RAPPORT_BIN must point to the rapport binary (scripts/test sets it)');
    dataDir = mkdtempSync(join(tmpdir(), 'rapport-e2e-today-'));
    mkdirSync(RESULTS, { recursive: true });
    const demo = runRapport(['--data-dir', dataDir, 'demo', '--clients', '40']);
    staff = [...demo.stdout.matchAll(/^\s+(\S+@\S+)\s+(.+?) \(([^)]*)\)\s*$/gm)]
      .map((m) => ({ email: m[1], name: m[2], roles: m[3] }));
    assert.ok(staff.length > 3, `no staff in the demo output:\n${demo.stdout}`);
    server = await startServer(dataDir);
    await waitReady(server);
    browser = await launchBrowser();
  }, { timeout: 120_000 });

  after(async () => {
    await browser?.close();
    await stopServer(server);
    if (anyFailed) console.error(`--- rapport serve output ---\n${server?.log ?? ''}`);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('the front desk checks a client in, and a clinician starts the note of a session, from Today', { timeout: 180_000 }, async () => {
    const desk = await newPage();
    let clinicianName;
    await guarded(desk, 'desk', async () => {
      await signInEnrollingTotp(desk, SCHEDULER_EMAIL, DEMO_PASSWORD);
      await desk.getByRole('heading', { level: 1, name: 'Today' }).waitFor();
      const arrivals = desk.locator('table.today-desk tbody tr');
      assert.ok(await arrivals.count() > 0, 'the demo has sessions today');
      await assertAccessible(desk);

      // Check in the first session that can be checked in; Today comes back saying so.
      const row = desk.locator('table.today-desk tbody tr', { has: desk.getByRole('button', { name: /^Arrived/ }) }).first();
      clinicianName = (await row.locator('td').nth(2).innerText()).trim();
      const time = (await row.locator('td').first().innerText()).trim();
      await Promise.all([
        desk.waitForEvent('framenavigated', { predicate: (frame) => frame === desk.mainFrame() }),
        row.getByRole('button', { name: /^Arrived/ }).click(),
      ]);
      await desk.waitForLoadState('load');
      assert.equal(new URL(desk.url()).pathname, '/', 'checking in from Today comes back to Today');
      const again = desk.locator('table.today-desk tbody tr', { hasText: time }).filter({ hasText: clinicianName });
      assert.ok(
        (await again.locator('td').nth(4).allInnerTexts()).some((s) => s.trim() === 'Arrived'),
        `the session at ${time} with ${clinicianName} should show "Arrived"`,
      );
      // The front desk has no clinical queue.
      assert.equal(await desk.getByRole('heading', { name: 'Waiting for you' }).count(), 0);
    });

    // The clinician of a session today (a clinician or supervisor of the demo) lands on Today with sessions.
    const who = staff.find((s) => s.name === clinicianName);
    assert.ok(who, `${clinicianName} is in the demo's staff list`);
    const clin = await newPage();
    await guarded(clin, 'clinician', async () => {
      await signInEnrollingTotp(clin, who.email, DEMO_PASSWORD);
      await clin.getByRole('heading', { level: 1, name: 'Today' }).waitFor();
      const todays = clin.locator('section[aria-labelledby="sessions"] table.today-sessions').first();
      const row = todays.locator('tbody tr', { has: clin.getByRole('button', { name: /^Start note/ }) }).first();
      assert.ok(await row.count() > 0, 'a session today offers "Start note"');
      await assertAccessible(clin);

      const start = row.getByRole('button', { name: /^Start note/ }).first();
      const label = (await start.innerText()).trim();
      const client = (await row.locator('td').nth(1).innerText()).trim();
      await Promise.all([clin.waitForURL((u) => NOTE_PATH.test(u.pathname)), start.click()]);
      const notePath = new URL(clin.url()).pathname;
      // The draft carries the session's facts: when, how long, which service, who.
      const facts = (await clin.locator('p.session-facts').innerText()).trim();
      assert.match(facts, /^Session: .+ \(\d+ min\) · Individual · CPT 90837 · with /, facts);

      await clin.goto('/');
      const open = clin.locator(`a[href="${notePath}"]`, { hasText: 'Open note' });
      assert.equal(await open.count(), 1, `Today links the new note (${label}) as "Open note"`);
      const waiting = clin.locator('section[aria-labelledby="waiting"]');
      assert.match(await waiting.innerText(), new RegExp(`Notes to sign[\\s\\S]*${client.split(',')[0].trim()}`));
      await assertAccessible(clin);
    });
  });
});
