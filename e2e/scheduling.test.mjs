// Browser end-to-end test of scheduling on the demo practice, as the
// scheduler and through the pages only: booking (and the refusals for a taken
// time and for outside working hours), moving one session of a weekly series,
// and a cancellation offering the freed time to a client on the waitlist.
//
// Run by scripts/test as `node --test e2e/` with RAPPORT_BIN set to the built
// binary. Needs Debian's chromium (/usr/bin/chromium) and playwright-core
// (npm ci --prefix e2e).
//
// Dates are computed at run time: Tuesdays at 10:00 at least a week ahead, in
// the clinician's own zone (the booking form's default), and each scenario
// uses its own week(s) and clients so they do not depend on one another. The
// demo practice books weekly sessions of its own for the coming weeks, so the
// test reads the calendar first and starts at the first run of weeks in which
// neither the clinician nor the clients it uses have any appointment.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BIN, FAILING_IMPACTS, RESULTS, axeScan, describeViolation, launchBrowser, pathIs, runRapport, signInEnrollingTotp, startServer, stopServer, waitReady,
} from './helpers.mjs';

// The demo practice (`rapport demo`): every account has this password and
// enrols TOTP at its first sign-in.
const SCHEDULER_EMAIL = 'daniel.kim@demo.rapport.test';
const DEMO_PASSWORD = 'rapport demo 2026';
// Used if the demo lists it among its clinicians; otherwise its first clinician.
const PREFERRED_CLINICIAN = 'Marcus Oyelaran';

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const APPOINTMENT_PATH = new RegExp(`^/appointments/${UUID}$`);

let dataDir;
let server;
let browser;
let page;
let anyFailed = false;

// Found in before(): the clinician { id, name, zone }, five clients with names
// no other client has [{ id, name }] (name: the legal name, which the booking
// form's search finds), and the first Tuesday at least 7 days ahead in the
// clinician's zone (YYYY-MM-DD).
let clinician;
let clients;
let tuesday;

// ---- dates (calendar dates as YYYY-MM-DD; arithmetic in UTC, no zone) ---------

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September',
  'October', 'November', 'December'];

const asDate = (iso) => new Date(`${iso}T00:00:00Z`);
const addDays = (iso, n) => new Date(asDate(iso).getTime() + n * 86_400_000).toISOString().slice(0, 10);
const weekdayOf = (iso) => asDate(iso).getUTCDay(); // 0 = Sunday

// Today's date in `zone`.
function todayIn(zone) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' })
    .format(new Date());
}

// The calendar's day heading: "Tuesday 1 December".
function dayHeading(iso) {
  const d = asDate(iso);
  return `${WEEKDAYS[d.getUTCDay()]} ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]}`;
}

// The appointment history's time format: "Tue 1 Dec 10:00".
function historyTime(iso, hhmm) {
  const d = asDate(iso);
  return `${WEEKDAYS[d.getUTCDay()].slice(0, 3)} ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()].slice(0, 3)} ${hhmm}`;
}

// The UTC offset of `zone` at instant `t` (ms), in ms.
function offsetAt(t, zone) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit',
    }).formatToParts(new Date(t)).map((p) => [p.type, p.value]),
  );
  const wall = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute, +parts.second);
  return wall - Math.floor(t / 1000) * 1000;
}

// The instant of wall-clock time `hhmm` on `iso` in `zone` (not in a DST gap).
function zonedToUtc(iso, hhmm, zone) {
  const [y, m, d] = iso.split('-').map(Number);
  const [hh, mm] = hhmm.split(':').map(Number);
  const wall = Date.UTC(y, m - 1, d, hh, mm);
  let t = wall;
  for (let i = 0; i < 3; i += 1) t = wall - offsetAt(t, zone);
  return new Date(t);
}

// ---- page helpers ----------------------------------------------------------------

// Runs `fn()`; on failure saves a full-page screenshot to test-results/ and
// adds the page's URL to the error.
async function withScreenshot(name, fn) {
  try {
    return await fn();
  } catch (err) {
    anyFailed = true;
    const file = join(RESULTS, `failed-scheduling-${name.replace(/\W+/g, '-')}.png`);
    await page?.screenshot({ path: file, fullPage: true }).catch(() => {});
    err.message += `\n(page: ${page?.url()}; screenshot: ${file})`;
    throw err;
  }
}

// Clicks a submit button and waits for the resulting page to load (the pages
// answer a POST with a redirect, or with the form again and an alert).
async function submit(button) {
  await Promise.all([
    page.waitForEvent('framenavigated', { predicate: (frame) => frame === page.mainFrame() }),
    button.click(),
  ]);
  await page.waitForLoadState('load');
}

// The text of the page's alert, or null when there is none.
async function alertText() {
  const alert = page.locator('p.alert[role="alert"]');
  return (await alert.count()) > 0 ? (await alert.innerText()).trim() : null;
}

// Opens `path` and checks it answered 2xx at that path (not e.g. /login).
async function open(path) {
  const res = await page.goto(path);
  assert.ok(res?.ok(), `GET ${path} answered ${res?.status()}`);
  assert.equal(new URL(page.url()).pathname, new URL(path, 'http://x').pathname, `GET ${path} ended elsewhere`);
}

// The clients a picker (`field`: client_1, client_id) offers on the page, as
// { id, name }: the radio buttons' values and the legal names of their labels
// ("Legal (Preferred) born 1990-01-02" gives "Legal").
async function offered(field) {
  return page.locator(`input[type="radio"][name="${field}"]`).evaluateAll((els) => els
    .map((el) => ({ id: el.value, name: (el.parentElement?.childNodes[1]?.textContent ?? '').trim().replace(/ \(.*\)$/, '') }))
    .filter((c) => c.id !== ''));
}

// Chooses `client` in a picker by typing (part of) the name into its search
// field and ticking the match the script shows, without a page load.
async function pick(field, client, typed = client.name) {
  await page.locator(`#${field}-q`).fill(typed);
  const radio = page.locator(`input[type="radio"][name="${field}"][value="${client.id}"]`);
  await radio.waitFor();
  await radio.check();
}

// The chosen client of a picker (its ticked radio button's value), or null.
async function chosen(field) {
  const radio = page.locator(`input[type="radio"][name="${field}"]:checked`);
  return (await radio.count()) > 0 ? radio.getAttribute('value') : null;
}

// Fills the booking form (the page must show it) and presses "Book". `start`
// is YYYY-MM-DDTHH:MM in the clinician's zone (the time zone field is left
// empty). Returns { path, alert }: the page reached and its alert, if any.
async function book({ client, start, repeat = '', count, outsideHours = true }) {
  assert.equal(new URL(page.url()).pathname, '/appointments/new', 'book() needs the booking form');
  await page.locator('select[name="type_key"]').selectOption('individual');
  await page.locator('select[name="clinician_id"]').selectOption({ label: clinician.name });
  await pick('client_1', client);
  await page.locator('input[type="radio"][name="client_2"][value=""]').check();
  await page.locator('input#start').fill(start);
  assert.equal(await page.locator('input[name="time_zone"]').inputValue(), '', 'time_zone starts empty');
  await page.locator('select[name="repeat"]').selectOption(repeat);
  if (count !== undefined) await page.locator('input#count').fill(String(count));
  await page.locator('input[name="outside_working_hours"]').setChecked(outsideHours);
  await submit(page.getByRole('button', { name: 'Book', exact: true }));
  return { path: new URL(page.url()).pathname, alert: await alertText() };
}

// Books and expects the appointment page; returns its path and the client's
// name as the appointment shows it (the name the calendar uses).
async function bookOk(options) {
  const { path, alert } = await book(options);
  assert.equal(alert, null, `booking ${options.client.name} at ${options.start} was refused`);
  assert.match(path, APPOINTMENT_PATH, 'a booking redirects to /appointments/<id>');
  assert.equal((await page.locator('dd#status').innerText()).trim(), 'Booked');
  const shown = (await page.locator(`dl a[href="/clients/${options.client.id}"]`).innerText()).trim();
  assert.ok(shown.length > 0, 'the appointment names its client');
  assert.ok((await page.locator('h1').innerText()).includes(shown), `<h1> should name ${shown}`);
  return { path, clientName: shown };
}

// Whether the practice calendar (everyone) for the week of `date` has no
// appointment with the clinician or with any of `names`.
async function weekIsFree(date, names) {
  await open(`/calendar?${new URLSearchParams({ view: 'week', date, clinician: '', tz: clinician.zone })}`);
  const items = await page.locator('li.appt').evaluateAll((els) => els.map((el) => ({
    title: el.querySelector('a')?.textContent ?? '',
    about: el.querySelector('.muted')?.textContent ?? '',
  })));
  return !items.some((i) => i.about.includes(clinician.name) || names.some((n) => i.title.includes(n)));
}

// The first Tuesday on or after `from` that starts `weeks` consecutive weeks
// free for the clinician and `names` (see weekIsFree).
async function firstFreeTuesday(from, weeks, names) {
  let tuesdayOf = from;
  while (weekdayOf(tuesdayOf) !== 2) tuesdayOf = addDays(tuesdayOf, 1);
  let run = 0;
  for (let i = 0; i < 104; i += 1) {
    const date = addDays(tuesdayOf, 7 * i);
    run = (await weekIsFree(date, names)) ? run + 1 : 0;
    if (run === weeks) return addDays(date, -7 * (weeks - 1));
  }
  throw new Error(`no ${weeks} free weeks for ${clinician.name} and ${names.join(', ')} in the next two years`);
}

// Opens the week calendar containing `date` for the clinician, in their zone.
async function openWeek(date) {
  const query = new URLSearchParams({ view: 'week', date, clinician: clinician.id, tz: clinician.zone });
  await open(`/calendar?${query}`);
}

// The `section.day` of `date` in the calendar on the page.
function daySection(date) {
  return page.locator('section.day', { has: page.getByRole('heading', { name: dayHeading(date), exact: true }) });
}

// The link texts ("10:00–10:53 Name") of the appointments on `date`.
async function appointmentsOn(date) {
  const day = daySection(date);
  assert.equal(await day.count(), 1, `the calendar should have one section for ${dayHeading(date)}`);
  return (await day.locator('li.appt a').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
}

// Asserts the calendar shows `name`'s session on `date` starting at `hhmm`.
async function assertShown(date, hhmm, name) {
  const items = await appointmentsOn(date);
  assert.ok(
    items.some((t) => t.startsWith(`${hhmm}–`) && t.includes(name)),
    `${dayHeading(date)} should list ${name} at ${hhmm}; it lists ${JSON.stringify(items)}`,
  );
}

// The appointments of `name` in the whole week on the page, as "Day: text".
async function weekItemsOf(name) {
  const found = [];
  for (const section of await page.locator('section.day').all()) {
    const day = (await section.locator('h2').innerText()).trim();
    for (const text of await section.locator('li.appt a').allInnerTexts()) {
      if (text.includes(name)) found.push(`${day}: ${text.replace(/\s+/g, ' ').trim()}`);
    }
  }
  return found;
}

// ---- the tests ---------------------------------------------------------------------

describe('scheduling in the browser (demo practice, as the scheduler)', () => {
  before(async () => {
    assert.ok(BIN, 'RAPPORT_BIN must point to the rapport binary (scripts/test sets it)');
    dataDir = mkdtempSync(join(tmpdir(), 'rapport-e2e-sched-'));
    mkdirSync(RESULTS, { recursive: true });

    const demo = runRapport(['--data-dir', dataDir, 'demo', '--clients', '40']);
    const clinicianNames = [...demo.stdout.matchAll(/^\s+\S+@\S+\s+(.+?) \(Clinician\b[^)]*\)\s*$/gm)].map((m) => m[1]);
    assert.ok(clinicianNames.length > 0, `no clinicians in the demo output:\n${demo.stdout}`);
    const clinicianName = clinicianNames.includes(PREFERRED_CLINICIAN) ? PREFERRED_CLINICIAN : clinicianNames[0];

    server = await startServer(dataDir);
    await waitReady(server);

    browser = await launchBrowser();
    // bypassCSP only so that axe-core can be injected (the pages forbid inline script).
    const context = await browser.newContext({ baseURL: server.base, bypassCSP: true });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);

    await withScreenshot('sign-in', async () => {
      await signInEnrollingTotp(page, SCHEDULER_EMAIL, DEMO_PASSWORD);

      // The clinician's id and zone, from the clinicians list.
      await open('/clinicians');
      const row = page.locator('table tbody tr', { has: page.getByRole('link', { name: clinicianName, exact: true }) });
      assert.equal(await row.count(), 1, `one row for ${clinicianName} in /clinicians`);
      const href = (await row.getByRole('link', { name: clinicianName, exact: true }).getAttribute('href')) ?? '';
      const id = href.match(new RegExp(`^/clinicians/(${UUID})$`))?.[1];
      assert.ok(id, `clinician link ${JSON.stringify(href)}`);
      const zone = (await row.locator('td').nth(4).innerText()).trim();
      assert.doesNotThrow(() => new Intl.DateTimeFormat('en', { timeZone: zone }), `time zone ${JSON.stringify(zone)}`);
      clinician = { id, name: clinicianName, zone };

      // Clients with unambiguous names, from the directory (the JSON API, with the session).
      const directory = await (await page.request.get('/api/v1/clients?limit=200')).json();
      const options = directory.items.map((c) => ({ id: c.id, name: c.legal_name }));
      clients = options.filter((o) => options.filter((p) => p.name === o.name).length === 1).slice(0, 5);
      assert.equal(clients.length, 5, `need 5 clients with names of their own, found ${JSON.stringify(options)}`);

      // Weeks used: the first Tuesday (booking), +1 (waitlist), +2 to +5 (series).
      tuesday = await firstFreeTuesday(addDays(todayIn(clinician.zone), 7), 6, clients.map((c) => c.name));
    });
    console.log(`scheduling e2e: ${clinician.name} (${clinician.zone}), first Tuesday ${tuesday}`);
  }, { timeout: 120_000 });

  after(async () => {
    await browser?.close();
    await stopServer(server);
    if (anyFailed) console.error(`--- rapport serve output ---\n${server?.log ?? ''}`);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('booking: a session shows in the week calendar; a taken time and outside hours are refused', { timeout: 120_000 }, async () => {
    const date = tuesday;
    const [first, second] = [clients[0], clients[1]];
    let firstName;

    await withScreenshot('book-single', async () => {
      await open('/');
      const nav = page.getByRole('navigation', { name: 'Main' });
      await nav.getByRole('link', { name: 'Waitlist', exact: true }).waitFor();
      await Promise.all([page.waitForURL(pathIs('/calendar')), nav.getByRole('link', { name: 'Calendar', exact: true }).click()]);
      await Promise.all([page.waitForURL(pathIs('/appointments/new')), page.getByRole('link', { name: 'New appointment' }).click()]);
      ({ clientName: firstName } = await bookOk({ client: first, start: `${date}T10:00` }));
      const when = (await page.locator('dl.facts dd').first().innerText()).trim();
      assert.ok(when.includes('10:00') && when.includes(clinician.zone), `"When" should be 10:00 in ${clinician.zone}: ${when}`);
    });

    await withScreenshot('calendar-week', async () => {
      // Through the calendar's own form.
      await Promise.all([page.waitForURL(pathIs('/calendar')), page.getByRole('link', { name: 'Calendar', exact: true }).click()]);
      await page.locator('select[name="view"]').selectOption('week');
      await page.locator('input[name="date"]').fill(date);
      await page.locator('select[name="clinician"]').selectOption({ label: clinician.name });
      await page.locator('input[name="tz"]').fill(clinician.zone);
      await submit(page.getByRole('button', { name: 'Show', exact: true }));
      const url = new URL(page.url());
      assert.equal(url.pathname, '/calendar');
      assert.equal(url.searchParams.get('clinician'), clinician.id);
      assert.equal(await page.locator('section.day').count(), 7, 'a week has 7 days');
      await assertShown(date, '10:00', firstName);
      await page.screenshot({ path: join(RESULTS, 'calendar-week.png'), fullPage: true });
    });

    await withScreenshot('book-taken-time', async () => {
      await open('/appointments/new');
      const { path, alert } = await book({ client: second, start: `${date}T10:00` });
      assert.equal(path, '/appointments', 'a refused booking shows the form again');
      assert.match(alert ?? '(no alert)', /time is taken/i, 'the alert should say the time is taken');
      assert.equal(await chosen('client_1'), second.id, 'the form keeps the client');
      assert.equal(await page.locator('input#start').inputValue(), `${date}T10:00`, 'the form keeps the start');
    });

    await withScreenshot('book-outside-hours', async () => {
      // Demo clinicians work on weekdays only: the Sunday of that week is outside.
      const sunday = addDays(date, 5);
      await open('/appointments/new');
      const { path, alert } = await book({ client: second, start: `${sunday}T10:00`, outsideHours: false });
      assert.equal(path, '/appointments', 'a refused booking shows the form again');
      assert.match(alert ?? '(no alert)', /outside .*working hours/i, 'the alert should name the working hours');

      await openWeek(date);
      assert.deepEqual(await weekItemsOf(second.name), [], `${second.name} should not have been booked`);
      assert.equal((await weekItemsOf(firstName)).length, 1, `${firstName} once in the week`);
    });
  });

  test('moving one session of a weekly series keeps the others', { timeout: 120_000 }, async () => {
    const client = clients[2];
    const dates = [0, 1, 2, 3].map((i) => addDays(tuesday, 14 + 7 * i)); // the 4 Tuesdays
    const movedTo = addDays(dates[1], 1); // the Wednesday of the second week
    let name;
    let secondPath;

    await withScreenshot('book-series', async () => {
      await open('/appointments/new');
      ({ clientName: name } = await bookOk({ client, start: `${dates[0]}T10:00`, repeat: 'weekly', count: 4 }));
      await page.locator('dl.facts dd', { hasText: 'Session 1 of a series' }).waitFor();
    });

    await withScreenshot('open-second-session', async () => {
      await openWeek(dates[1]);
      await assertShown(dates[1], '10:00', name);
      const link = daySection(dates[1]).locator('li.appt a', { hasText: name });
      await Promise.all([page.waitForURL((u) => APPOINTMENT_PATH.test(u.pathname)), link.click()]);
      secondPath = new URL(page.url()).pathname;
      await page.locator('dl.facts dd', { hasText: 'Session 2 of a series' }).waitFor();
      assert.equal(await page.locator('input#new_start').inputValue(), `${dates[1]}T10:00`, 'the move form starts at the session');
      await page.getByRole('button', { name: 'Change this and following' }).waitFor();
      await page.getByRole('button', { name: 'End the series after this session' }).waitFor();
    });

    await withScreenshot('move-second-session', async () => {
      const form = page.locator('form', { has: page.locator('input#new_start') });
      await form.locator('input#new_start').fill(`${movedTo}T14:00`);
      await form.locator('input[name="outside_working_hours"]').check();
      await submit(form.getByRole('button', { name: 'Move', exact: true }));
      assert.equal(await alertText(), null, 'the move was refused');
      assert.equal(new URL(page.url()).pathname, secondPath, 'a move returns to the appointment');
      const history = page.locator('h2:text-is("History") + ul li');
      const lines = (await history.allInnerTexts()).map((t) => t.trim());
      const expected = `moved from ${historyTime(dates[1], '10:00')} to ${historyTime(movedTo, '14:00')}`;
      assert.ok(lines.some((l) => l.endsWith(expected)), `History should have "…: ${expected}"; it has ${JSON.stringify(lines)}`);
      assert.ok((await page.locator('dl.facts dd').first().innerText()).includes('14:00'), '"When" shows the new time');
    });

    await withScreenshot('calendar-after-move', async () => {
      await openWeek(dates[1]);
      await assertShown(movedTo, '14:00', name);
      assert.deepEqual(await weekItemsOf(name), [`${dayHeading(movedTo)}: ${(await appointmentsOn(movedTo)).find((t) => t.includes(name))}`],
        `in the week of the move, ${name} only on ${dayHeading(movedTo)}`);
      for (const date of [dates[0], dates[2], dates[3]]) {
        await openWeek(date);
        await assertShown(date, '10:00', name);
        assert.equal((await weekItemsOf(name)).length, 1, `${name} once in the week of ${date}: ${JSON.stringify(await weekItemsOf(name))}`);
      }
    });
  });

  test('cancelling a session offers its time to a waiting client', { timeout: 120_000 }, async () => {
    const date = addDays(tuesday, 7);
    const [waiting, booked] = [clients[3], clients[4]];
    const waitingRow = () => page.locator('table tbody tr', { has: page.locator(`a[href="/clients/${waiting.id}"]`) });

    await withScreenshot('add-to-waitlist', async () => {
      await open('/');
      await Promise.all([
        page.waitForURL(pathIs('/waitlist')),
        page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Waitlist', exact: true }).click(),
      ]);
      const form = page.locator('form', { has: page.getByRole('button', { name: 'Add to waitlist' }) });
      await pick('client_id', waiting);
      await form.locator('select[name="type_key"]').selectOption('individual');
      await form.locator('select[name="priority"]').selectOption({ label: 'Soon' });
      for (const day of ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']) {
        assert.equal(await form.locator(`input[name="day_${day}"]`).isChecked(), false, `day_${day} starts unticked`);
      }
      assert.equal(await form.locator('input[name="earliest"]').inputValue(), '');
      assert.equal(await form.locator('input[name="latest"]').inputValue(), '');
      await submit(form.getByRole('button', { name: 'Add to waitlist' }));
      assert.equal(await alertText(), null, 'adding to the waitlist was refused');
      assert.equal(await waitingRow().count(), 1, `${waiting.name} should be on the waitlist`);
      assert.equal(await waitingRow().locator('li.offer').count(), 0, 'no offers yet');
    });

    let appointmentPath;
    await withScreenshot('book-to-cancel', async () => {
      await open('/appointments/new');
      ({ path: appointmentPath } = await bookOk({ client: booked, start: `${date}T10:00` }));
    });

    await withScreenshot('cancel', async () => {
      const reason = 'E2E: the client asked to cancel';
      const form = page.locator('form', { has: page.getByRole('button', { name: 'Cancel appointment' }) });
      await form.getByLabel('Reason (optional, kept private)').fill(reason);
      await submit(form.getByRole('button', { name: 'Cancel appointment' }));
      assert.equal(await alertText(), null, 'the cancellation was refused');
      assert.equal(new URL(page.url()).pathname, appointmentPath);
      assert.equal((await page.locator('dd#status').innerText()).trim(), 'Cancelled');
      // The reason is clinical ("kept private"): the scheduler does not see it.
      assert.equal(await page.getByText(reason).count(), 0, 'the scheduler should not see the cancellation reason');
    });

    let offeredTime;
    await withScreenshot('waitlist-offer', async () => {
      await open('/waitlist');
      const row = waitingRow();
      assert.equal(await row.count(), 1, `${waiting.name} should still be waiting`);
      const offer = row.locator('li.offer', { hasText: clinician.name });
      const offers = (await row.locator('li.offer').allInnerTexts()).map((t) => t.trim());
      assert.equal(await offer.count(), 1, `${waiting.name}'s row should offer a time with ${clinician.name}; offers: ${JSON.stringify(offers)}`);
      const text = (await offer.innerText()).trim();
      assert.match(text, /: open\b/, `the offer should be open: ${text}`);
      offeredTime = text.match(/, (\d\d:\d\d) with /)?.[1];
      assert.ok(offeredTime, `the offer should show a local time: ${text}`);
    });

    await withScreenshot('book-from-waitlist', async () => {
      // "Book this time" opens the booking form with the client, clinician, type, zone and time filled in.
      const link = waitingRow().locator('li.offer', { hasText: clinician.name }).getByRole('link', { name: /Book this time/ });
      await Promise.all([page.waitForURL(pathIs('/appointments/new')), link.click()]);
      assert.equal(await chosen('client_1'), waiting.id);
      assert.equal(await page.locator('select[name="clinician_id"]').inputValue(), clinician.id);
      assert.ok((await page.locator('input#start').inputValue()).endsWith(offeredTime));
      assert.notEqual(await page.locator('input[name="time_zone"]').inputValue(), '', 'the waiting client\'s zone is filled in');
      await page.locator('input[name="outside_working_hours"]').setChecked(true);
      await submit(page.getByRole('button', { name: 'Book', exact: true }));
      assert.equal(await alertText(), null, 'booking the offered time was refused');
      assert.match(new URL(page.url()).pathname, APPOINTMENT_PATH);
      const when = (await page.locator('dl.facts dd').first().innerText()).trim();
      assert.ok(when.includes(offeredTime), `"When" should be the offered ${offeredTime}: ${when}`);
      await open('/waitlist');
      const offer = waitingRow().locator('li.offer', { hasText: clinician.name });
      assert.match((await offer.innerText()).trim(), /booked for this client/);
      assert.equal(await offer.getByRole('link', { name: /Book this time/ }).count(), 0, 'no link for a time that is taken');
      const serious = (await axeScan(page)).filter((v) => FAILING_IMPACTS.has(v.impact));
      assert.equal(serious.length, 0, `axe-core on /waitlist:\n${serious.map(describeViolation).join('\n')}`);
    });
  });
});

// ---- more clients than the old picker held ------------------------------------------

// The booking form once offered a select of the first 200 clients: with more,
// the front desk could not book anyone whose name sorted later. Its own demo
// practice of 10,000 clients; the clients are found by name, with the script
// (no page load), and without it (a plain search form) by name and date of
// birth, which tells apart the demo's many clients who share a name.
describe('booking the clients whose names sort last among 10,000 (as the scheduler)', () => {
  let bigDir;
  let bigServer;
  let bigBrowser;
  let context;
  let clinicianName;
  // The clients whose names sort last and last but one: [{ id, name }], and how many clients there are.
  let last;
  let lastButOne;
  let total;
  // A Sunday at least a week ahead: demo clinicians work on weekdays, so their calendars are free then.
  let sunday;

  before(async () => {
    assert.ok(BIN, 'RAPPORT_BIN must point to the rapport binary (scripts/test sets it)');
    bigDir = mkdtempSync(join(tmpdir(), 'rapport-e2e-picker-'));
    mkdirSync(RESULTS, { recursive: true });
    const demo = runRapport(['--data-dir', bigDir, 'demo', '--clients', '10000']);
    const names = [...demo.stdout.matchAll(/^\s+\S+@\S+\s+(.+?) \(Clinician\b[^)]*\)\s*$/gm)].map((m) => m[1]);
    assert.ok(names.length > 0, `no clinicians in the demo output:\n${demo.stdout}`);
    clinicianName = names.includes(PREFERRED_CLINICIAN) ? PREFERRED_CLINICIAN : names[0];
    bigServer = await startServer(bigDir);
    await waitReady(bigServer);
    bigBrowser = await launchBrowser();
    context = await bigBrowser.newContext({ baseURL: bigServer.base, bypassCSP: true });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await withScreenshot('picker-sign-in', async () => {
      await signInEnrollingTotp(page, SCHEDULER_EMAIL, DEMO_PASSWORD);
      // The directory in the pickers' order (by legal name), through the JSON API with the session.
      const count = await (await page.request.get('/api/v1/clients?limit=1')).json();
      total = count.total;
      assert.equal(total, 10000, 'the demo has the clients it was asked for');
      const tail = await (await page.request.get(`/api/v1/clients?limit=2&offset=${total - 2}`)).json();
      [lastButOne, last] = tail.items.map((c) => ({ id: c.id, name: c.legal_name, born: c.date_of_birth }));
    });
    let day = addDays(new Date().toISOString().slice(0, 10), 7);
    while (weekdayOf(day) !== 0) day = addDays(day, 1);
    sunday = day;
  }, { timeout: 120_000 });

  after(async () => {
    await bigBrowser?.close();
    await stopServer(bigServer);
    if (anyFailed) console.error(`--- rapport serve output (10,000 clients) ---\n${bigServer?.log ?? ''}`);
    if (bigDir) rmSync(bigDir, { recursive: true, force: true });
  });

  // Fills the rest of the booking form and presses "Book"; expects the appointment page naming `client`.
  async function bookAt(client, start) {
    await page.locator('select[name="type_key"]').selectOption('individual');
    await page.locator('select[name="clinician_id"]').selectOption({ label: clinicianName });
    await page.locator('input#start').fill(start);
    await page.locator('input[name="outside_working_hours"]').setChecked(true);
    await submit(page.getByRole('button', { name: 'Book', exact: true }));
    assert.equal(await alertText(), null, `booking ${client.name} at ${start} was refused`);
    assert.match(new URL(page.url()).pathname, APPOINTMENT_PATH, 'a booking redirects to /appointments/<id>');
    assert.equal(await page.locator(`dl a[href="/clients/${client.id}"]`).count(), 1, `the appointment names ${client.name}`);
  }

  test('with the script: the client whose name sorts last is found as one types and booked', { timeout: 120_000 }, async () => {
    await withScreenshot('picker-search-as-you-type', async () => {
      await open('/appointments/new');
      const line = (await page.locator('#client_1-count').innerText()).trim();
      assert.equal(line, `${total} clients: type part of a name to find one.`);
      assert.deepEqual(await offered('client_1'), [], 'before a search, nobody is offered from so many');
      // Typing, and then Enter in the search field, search without loading a page.
      const navigations = [];
      const onNavigate = (frame) => { if (frame === page.mainFrame()) navigations.push(frame.url()); };
      page.on('framenavigated', onNavigate);
      await page.locator('#client_1-q').fill(last.name);
      await page.locator('#client_1-q').press('Enter');
      await page.locator(`input[type="radio"][name="client_1"][value="${last.id}"]`).check();
      page.off('framenavigated', onNavigate);
      assert.deepEqual(navigations, [], 'the search loaded a page');
      assert.match((await page.locator('#client_1-count').innerText()).trim(), /match(es)? “/);
      assert.equal(new URL(page.url()).searchParams.get('client_q'), null, 'the search did not load a page');
      const born = (await page.locator(`input[name="client_1"][value="${last.id}"] + span`).innerText()).trim();
      assert.match(born, /^born \d{4}-\d\d-\d\d$/, 'a match shows the date of birth');
      const serious = (await axeScan(page)).filter((v) => FAILING_IMPACTS.has(v.impact));
      assert.equal(serious.length, 0, `axe-core on the picker's matches:\n${serious.map(describeViolation).join('\n')}`);
    });
    await withScreenshot('picker-book-last', async () => {
      await bookAt(last, `${sunday}T07:00`);
    });
  });

  test('without the script: a plain search form finds the last client but one by name and date of birth, and books them', { timeout: 120_000 }, async () => {
    const scripted = page;
    const plain = await bigBrowser.newContext({
      baseURL: bigServer.base, javaScriptEnabled: false, storageState: await context.storageState(),
    });
    try {
      page = await plain.newPage();
      page.setDefaultTimeout(15_000);
      await withScreenshot('picker-no-script-search', async () => {
        await open('/appointments/new');
        await page.locator('#client_1-q').fill(`${lastButOne.name} ${lastButOne.born}`);
        await submit(page.getByRole('button', { name: 'Search for the client', exact: true }));
        const url = new URL(page.url());
        assert.equal(url.pathname, '/appointments/new');
        assert.equal(url.searchParams.get('client_q'), `${lastButOne.name} ${lastButOne.born}`, 'the search is in the URL');
        const line = (await page.locator('#client_1-count').innerText()).trim();
        assert.match(line, /^\d+ clients? match(es)? “/, `every match is shown: ${line}`);
        await page.locator(`input[type="radio"][name="client_1"][value="${lastButOne.id}"]`).check();
      });
      await withScreenshot('picker-no-script-book', async () => {
        await bookAt(lastButOne, `${sunday}T08:00`);
      });
    } finally {
      await plain.close();
      page = scripted;
    }
    await withScreenshot('picker-no-script-axe', async () => {
      // The page as the plain search leaves it (matches drawn by the server), scanned where axe-core can run.
      await open(`/appointments/new?client_q=${encodeURIComponent(lastButOne.name)}`);
      const serious = (await axeScan(page)).filter((v) => FAILING_IMPACTS.has(v.impact));
      assert.equal(serious.length, 0, `axe-core on the searched form:\n${serious.map(describeViolation).join('\n')}`);
    });
  });
});
