// Browser end-to-end test of group therapy records on the demo practice,
// through the pages only, as the facilitator of the demo bereavement group:
// start a session, record attendance, log talk time with a few "Now speaking"
// clicks and see each member's share (quieter members marked), write a shared
// note that names a member and see signing refused with the name listed, fix
// it and sign; then open one member's client page and check that it shows the
// shared note and that member's own note, and no other member's name. The
// session page passes an axe-core scan.
//
// Run by scripts/test as `node --test e2e/` with RAPPORT_BIN set to the built
// binary. Needs Debian's chromium and playwright-core (npm ci --prefix e2e).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  BIN, FAILING_IMPACTS, RESULTS, axeScan, describeViolation, launchBrowser, runRapport,
  signInEnrollingTotp, startServer, stopServer, waitReady,
} from './helpers.mjs';

// The demo's bereavement support group and its facilitator (crates/app/src/demo.rs).
const FACILITATOR_EMAIL = 'annika.larsen@demo.rapport.test';
const GROUP_NAME = 'Bereavement support (Tuesday evenings)';
const DEMO_PASSWORD = 'rapport demo 2026';
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const SESSION_PATH = new RegExp(`^/group-sessions/${UUID}$`);

let dataDir;
let server;
let browser;
let anyFailed = false;

// The words of a person's name that the server would look for (three letters or more).
const nameWords = (name) => name.split(/[\s-]+/).map((w) => w.replace(/[^\p{L}\p{N}']/gu, ''))
  .filter((w) => [...w].filter((c) => /\p{L}/u.test(c)).length >= 3);

describe('group therapy', () => {
  before(async () => {
    assert.ok(BIN, 'RAPPORT_BIN must point to the rapport binary (scripts/test sets it)');
    dataDir = mkdtempSync(join(tmpdir(), 'rapport-e2e-groups-'));
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

  test('attendance, talk time, a shared note that names no one, and a member\'s chart', { timeout: 180_000 }, async () => {
    // bypassCSP only so that axe-core can be injected; the pages' own scripts come from our origin.
    const context = await browser.newContext({ baseURL: server.base, bypassCSP: true });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const violations = [];
    try {
      await signInEnrollingTotp(page, FACILITATOR_EMAIL, DEMO_PASSWORD);

      // The group's page, and a session for today.
      await page.goto('/groups');
      await page.getByRole('link', { name: GROUP_NAME }).click();
      await page.getByRole('heading', { name: GROUP_NAME }).waitFor();
      const sessionDate = page.locator('#session-date');
      assert.ok(await sessionDate.inputValue(), 'the date defaults to today');
      await page.getByRole('button', { name: 'Start session' }).click();
      await page.waitForURL((u) => SESSION_PATH.test(u.pathname));
      const sessionPath = new URL(page.url()).pathname;

      // Attendance: everyone present, except one member late and one absent.
      const members = page.locator('.attendance fieldset');
      const count = await members.count();
      assert.ok(count >= 6, `the demo group has members on its roster (${count})`);
      const roster = [];
      for (let i = 0; i < count; i += 1) {
        const fieldset = members.nth(i);
        const name = (await fieldset.locator('legend').textContent()).trim();
        const id = (await fieldset.locator('input[type=radio]').first().getAttribute('name')).slice(2);
        const status = i === count - 1 ? 'absent' : i === count - 2 ? 'late' : 'present';
        await fieldset.locator(`input[value="${status}"]`).check();
        roster.push({ name, id, status });
      }
      await page.getByRole('button', { name: 'Save attendance' }).click();
      await page.waitForURL((u) => u.pathname === sessionPath);
      const [first, second] = roster;
      const absent = roster[count - 1];
      assert.equal(await page.locator('.attendance input[value="absent"]:checked').count(), 1);

      // Talk time: the first member speaks, then the second, then a pause — one tap each, no page reload.
      await page.evaluate(() => { window.sameDocument = true; });
      const saved = () => page.waitForFunction(() => {
        const pending = document.getElementById('talk-pending');
        return pending && pending.hidden;
      });
      await page.getByRole('button', { name: `Now speaking: ${first.name}` }).click();
      await page.getByRole('status').filter({ hasText: `Now speaking: ${first.name}` }).waitFor();
      assert.equal(await page.getByRole('button', { name: `Now speaking: ${first.name}` }).getAttribute('aria-pressed'), 'true');
      await page.locator('#talk-clock').filter({ hasText: /^Speaking for 0:0\d$/ }).waitFor();
      await sleep(1_600);
      await page.getByRole('button', { name: `Now speaking: ${second.name}` }).click();
      await page.getByRole('status').filter({ hasText: `Now speaking: ${second.name}` }).waitFor();
      await sleep(1_100);
      await page.getByRole('button', { name: 'Nobody / pause' }).click();
      await page.getByRole('status').filter({ hasText: 'Paused.' }).waitFor();
      await saved();
      await page.waitForFunction((id) => Number(document.querySelector(`meter#share-${id}`)?.getAttribute('value')) > 0, second.id);
      assert.ok(await page.evaluate(() => window.sameDocument === true), 'the clicks did not reload the page');
      assert.equal(await page.getByRole('button', { name: `Now speaking: ${absent.name}` }).count(), 0,
        'an absent member has no "Now speaking" button');
      const bars = page.locator('.talk-shares meter');
      assert.equal(await bars.count(), count - 1, 'one bar per member taking part');
      const shareOf = async (m) => Number(await page.locator(`meter#share-${m.id}`).getAttribute('value'));
      assert.ok(await shareOf(first) > await shareOf(second), 'the first member spoke longer');
      assert.ok(await shareOf(second) > 0);
      const firstRow = page.locator('.talk-shares tr').filter({ has: page.locator(`meter#share-${first.id}`) });
      assert.match(await firstRow.textContent(), /\d+%/, 'each bar has its share as text');
      assert.equal(await firstRow.locator('.tag.quiet').count(), 0);
      const quiet = page.locator('.talk-shares tr.quieter');
      assert.equal(await quiet.count(), count - 3, 'members who did not speak are marked as quieter');
      assert.match(await page.locator('.quiet-note').textContent(), new RegExp(roster[2].name));
      violations.push(...(await axeScan(page)));

      // The connection drops for a while: the clicks are kept, shown as waiting, and saved with their own times
      // when it is back, so the first member's time grows by what they spoke while offline.
      const secondsOf = async (m) => {
        const [min, sec] = (await page.locator('.talk-shares tr').filter({ has: page.locator(`meter#share-${m.id}`) }).locator('td').nth(2).textContent()).trim().split(':');
        return Number(min) * 60 + Number(sec);
      };
      const before = await secondsOf(first);
      await context.setOffline(true);
      await page.getByRole('button', { name: `Now speaking: ${first.name}` }).click();
      await page.locator('#talk-pending').filter({ hasText: /^Not saved yet: 1 change of speaker is waiting/ }).waitFor();
      await sleep(2_200);
      await page.getByRole('button', { name: 'Nobody / pause' }).click();
      await page.locator('#talk-pending').filter({ hasText: /^Not saved yet: 2 changes of speaker are waiting/ }).waitFor();
      await sleep(1_000);
      await context.setOffline(false);
      await saved();
      await page.reload();
      assert.ok(await secondsOf(first) >= before + 2, `the offline turn counted: ${before} s before, ${await secondsOf(first)} s after`);
      await page.getByRole('status').filter({ hasText: 'Paused.' }).waitFor();

      // A shared note that names a member is flagged, and signing it is refused with the name listed.
      const firstName = nameWords(first.name)[0];
      await page.getByLabel('Shared group note').fill(
        `Tonight ${firstName} spoke about the first winter without a partner; the group shared ways of marking anniversaries.`,
      );
      await page.getByLabel(`Note for ${first.name}`).fill('Spoke first; tearful, grounded by the end.');
      await page.getByRole('button', { name: 'Save notes' }).click();
      await page.waitForURL((u) => u.pathname === sessionPath);
      assert.match(await page.locator('#shared-note-names').textContent(), new RegExp(firstName));
      await page.getByRole('button', { name: 'Sign and lock' }).click();
      const refusal = page.getByRole('alert');
      await refusal.waitFor();
      assert.match(await refusal.textContent(), new RegExp(`names group members: .*${firstName}`));
      assert.equal(await page.locator('.tag.status-signed').count(), 0, 'not signed');

      await page.getByLabel('Shared group note').fill(
        'Tonight one member spoke about the first winter without a partner; the group shared ways of marking anniversaries.',
      );
      await page.getByRole('button', { name: 'Save notes' }).click();
      await page.waitForURL((u) => u.pathname === sessionPath);
      assert.equal(await page.locator('#shared-note-names').count(), 0);
      await page.getByRole('button', { name: 'Sign and lock' }).click();
      await page.getByRole('status').filter({ hasText: 'Signed and locked.' }).waitFor();
      assert.match(await page.locator('.tag.status-signed').textContent(), /Signed/);
      assert.match(await page.locator('dd').filter({ hasText: 'verified' }).textContent(), /[0-9a-f]{64}/);
      assert.equal(await page.getByRole('button', { name: /Now speaking/ }).count(), 0, 'locked');
      violations.push(...(await axeScan(page)));

      // The first member's client page: the shared note and their own note, nobody else.
      await page.goto(`/clients/${first.id}?section=sessions`);
      const chart = page.locator('section.member-sessions');
      await chart.waitFor();
      const chartText = await chart.textContent();
      assert.match(chartText, new RegExp(GROUP_NAME.replace(/[()]/g, '\\$&')));
      assert.match(chartText, /one member spoke about the first winter/);
      assert.match(chartText, /Spoke first; tearful, grounded by the end\./);
      const pageText = await page.locator('main').textContent();
      const own = new Set(nameWords(first.name).map((w) => w.toLowerCase()));
      for (const other of roster.slice(1)) {
        assert.ok(!pageText.includes(other.name), `${other.name} is not on ${first.name}'s page`);
        for (const w of nameWords(other.name)) {
          if (own.has(w.toLowerCase())) continue; // shares a name with this member
          assert.ok(!chartText.toLowerCase().includes(w.toLowerCase()), `"${w}" is not in the group sessions`);
        }
      }
      violations.push(...(await axeScan(page)));
    } catch (err) {
      anyFailed = true;
      const file = join(RESULTS, 'failed-groups.png');
      await page.screenshot({ path: file, fullPage: true }).catch(() => {});
      err.message += `\n(page: ${page.url()}; screenshot: ${file})`;
      throw err;
    } finally {
      await context.close();
    }
    const failing = violations.filter((v) => FAILING_IMPACTS.has(v.impact));
    assert.equal(failing.length, 0, `axe-core:\n${failing.map(describeViolation).join('\n')}`);
  });
});
