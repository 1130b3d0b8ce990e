// Shared helpers for the browser end-to-end tests in this directory: the
// rapport binary and its environment, starting and stopping `rapport serve`,
// launching Debian's chromium, and TOTP codes for two-step sign-in.
//
// Not a test file itself (node --test only picks up *.test.mjs and friends).
import { spawn, spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';

export const BIN = process.env.RAPPORT_BIN;
export const RESULTS = fileURLToPath(new URL('./test-results/', import.meta.url));
// The binary also reads settings from RAPPORT_* variables (database URL,
// listen address, ...): keep any set in the caller's shell out of these tests.
export const CHILD_ENV = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !name.startsWith('RAPPORT_')),
);
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  // The machine has no network but the registries: without these Chromium
  // keeps trying (and failing) to reach Google's services.
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

// Under `scripts/test --faketime` the tests and the server run with the calendar moved by libfaketime; Chromium
// does not start under it, so the browser keeps the real clock (what is tested is the server's idea of today).
function browserEnv() {
  return Object.fromEntries(
    Object.entries(process.env).filter(([k]) => k !== 'LD_PRELOAD' && !k.startsWith('FAKETIME')),
  );
}

export function launchBrowser() {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, env: browserEnv() });
}

// ---- TOTP (RFC 6238: HMAC-SHA-1, 6 digits, 30 s step) ------------------------

export function base32Decode(text) {
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

export function totp(key, step, digits = 6) {
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
export async function freshCode(key, usedStep = -1) {
  for (;;) {
    const now = Date.now() / 1000;
    const step = Math.floor(now / 30);
    const left = 30 - (now % 30);
    if (step !== usedStep && left >= 3) return { step, code: totp(key, step) };
    await sleep(left * 1000 + 250);
  }
}

// ---- the server under test ---------------------------------------------------

// Runs a rapport CLI command to completion (not `serve`); fails with its output.
export function runRapport(args, { input } = {}) {
  const run = spawnSync(BIN, args, { input, encoding: 'utf8', timeout: 60_000, env: CHILD_ENV });
  if (run.status !== 0) {
    throw new Error(`rapport ${args.join(' ')} failed (${run.status ?? run.error}):\n${run.stdout ?? ''}${run.stderr ?? ''}`);
  }
  return run;
}

export async function freePort() {
  const probe = createServer();
  await new Promise((resolve, reject) => probe.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

// Spawns `rapport serve` on a free local port. Returns { child, base, log }:
// `log` collects the server's stdout and stderr. Call waitReady() next, and
// stopServer() when done (also when waitReady() failed). `extraArgs(base)`
// may add options that need the server's address (e.g. --public-url).
export async function startServer(dataDir, extraArgs = () => []) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const args = ['serve', '--data-dir', dataDir, '--listen', `127.0.0.1:${port}`, ...extraArgs(base)];
  const child = spawn(BIN, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: CHILD_ENV,
  });
  const server = { child, base, log: '' };
  child.stdout.on('data', (chunk) => { server.log += chunk; });
  child.stderr.on('data', (chunk) => { server.log += chunk; });
  return server;
}

// Waits (up to 30 s) for GET /readyz to answer 200; on failure the error
// message carries the server's output.
export async function waitReady(server) {
  const { child, base } = server;
  const deadline = Date.now() + 30_000;
  try {
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`rapport serve exited (${child.exitCode ?? child.signalCode}) before /readyz answered`);
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
  } catch (err) {
    err.message += `\n--- rapport serve output ---\n${server.log}`;
    throw err;
  }
}

// SIGTERM, then SIGKILL after 10 s; resolves once the process has exited.
export async function stopServer(server) {
  const child = server?.child;
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

// A demo practice of `clients` clients on a server of its own, optionally with an SMTP sink (`mail: true`: the
// server sends through it, with its public URL set and the worker every 2 s, and `mailDir` is the sink's Maildir).
// Returns { server, mailDir, stop }; `stop()` ends the server and the sink and removes their folders.
export async function startDemoPractice({ name, clients = 40, mail = false }) {
  const dataDir = mkdtempSync(join(tmpdir(), `rapport-e2e-${name}-`));
  const mailRoot = mail ? mkdtempSync(join(tmpdir(), 'rapport-e2e-mail-')) : null;
  // aiosmtpd's Mailbox creates the Maildir (new/, cur/, tmp/) itself, so it must not exist yet.
  const mailDir = mailRoot ? join(mailRoot, 'maildir') : null;
  let smtp = null;
  let server = null;
  const stop = async () => {
    await stopServer(server);
    smtp?.child.kill();
    rmSync(dataDir, { recursive: true, force: true });
    if (mailRoot) rmSync(mailRoot, { recursive: true, force: true });
  };
  try {
    runRapport(['--data-dir', dataDir, 'demo', '--clients', String(clients)]);
    if (mail) smtp = await startSmtpSink(mailDir);
    server = await startServer(dataDir, (base) => (mail ? [
      '--smtp-url', `smtp://127.0.0.1:${smtp.port}`,
      '--public-url', base,
      '--worker-interval-seconds', '2',
    ] : []));
    await waitReady(server);
  } catch (err) {
    await stop();
    throw err;
  }
  return { server, mailDir, stop };
}

// ---- small page helpers --------------------------------------------------------

// For page.waitForURL(): matches on the path alone.
export const pathIs = (path) => (url) => url.pathname === path;

// First sign-in of an account that has no two-step sign-in yet (e.g. a demo
// account): password at /login, then TOTP enrolment at /mfa/setup, landing on
// the dashboard. Returns { key, step }: the TOTP key and the step whose code
// was used (pass both to freshCode() for a later sign-in).
export async function signInEnrollingTotp(page, email, password) {
  await page.goto('/login');
  await page.locator('input[name="email"]').fill(email);
  await page.locator('input[name="password"]').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(pathIs('/mfa/setup'));
  const secret = (await page.locator('#totp-secret').textContent()) ?? '';
  const key = base32Decode(secret);
  const { step, code } = await freshCode(key);
  await page.locator('input[name="code"]').fill(code);
  await page.getByRole('button', { name: 'Turn on two-step sign-in' }).click();
  await page.waitForURL(pathIs('/'));
  return { key, step };
}

// ---- accessibility (axe-core, WCAG 2 A and AA) -----------------------------------

const AXE_PATH = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
export const AXE_OPTIONS = { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] }, resultTypes: ['violations'] };
// Violations of these impacts fail a test; 'moderate' and 'minor' ones are warnings.
export const FAILING_IMPACTS = new Set(['serious', 'critical']);

// Runs axe-core on the current page, or only on the part matched by the CSS
// selector `within` (the browser context needs bypassCSP, as the pages forbid
// inline script); returns its violations, each tagged with the page's path.
export async function axeScan(page, within = null) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) {
    await page.addScriptTag({ path: AXE_PATH });
  }
  const violations = await page.evaluate(
    ([options, selector]) => window.axe.run(selector ? { include: [selector] } : document, options),
    [AXE_OPTIONS, within],
  ).then((results) => results.violations);
  const where = new URL(page.url()).pathname;
  const found = violations.map((v) => ({ page: where, ...v }));
  const codes = await rawCodes(page, within);
  if (codes.length > 0) {
    found.push({
      page: where,
      id: 'raw-code',
      impact: 'serious',
      help: `the page shows stored codes instead of words: ${codes.join(', ')}`,
      nodes: [],
    });
  }
  return found;
}

// The `snake_case` tokens in the visible text (and the options of every list) of the page or of the part matched
// by `within`: a page speaks in words, so a token such as `in_person` or `older_adults` is a stored code that
// reached the reader. E-mail addresses, URLs and paths are left out, and so is text in <code>.
export async function rawCodes(page, within = null) {
  const text = await page.evaluate((selector) => {
    const root = selector ? document.querySelector(selector) : document.body;
    if (!root) return '';
    const options = [...root.querySelectorAll('option')].map((o) => o.textContent).join('\n');
    // Text marked as code (an audit action to filter by, a request id) is code on purpose.
    let text = root.innerText;
    for (const c of root.querySelectorAll('code')) text = text.split(c.innerText).join(' ');
    return `${text}\n${options}`;
  }, within);
  const words = text.split(/\s+/).filter((w) => !w.includes('@') && !w.includes('://') && !w.startsWith('/'));
  const codes = new Set();
  for (const w of words) {
    for (const m of w.matchAll(/(?<![A-Za-z0-9_])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![A-Za-z0-9_])/g)) codes.add(m[0]);
  }
  return [...codes];
}

export function describeViolation(v) {
  const nodes = v.nodes.slice(0, 3).map((n) => `      ${n.target.join(' >>> ')}\n        ${n.html}`);
  const more = v.nodes.length > 3 ? `\n      … and ${v.nodes.length - 3} more element(s)` : '';
  return `  ${v.page}: ${v.id} [${v.impact}] ${v.help} (${v.nodes.length} element(s))\n${nodes.join('\n')}${more}`;
}

// ---- the SMTP sink -------------------------------------------------------------

export async function startSmtpSink(dir) {
  const port = await freePort();
  const child = spawn('python3', ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${port}`, '-c', 'aiosmtpd.handlers.Mailbox', dir], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: CHILD_ENV,
  });
  let err = '';
  child.stderr.on('data', (chunk) => { err += chunk; });
  const deadline = Date.now() + 20_000;
  for (;;) {
    const open = await new Promise((resolve) => {
      const s = connect(port, '127.0.0.1', () => { s.end(); resolve(true); });
      s.on('error', () => resolve(false));
    });
    if (open) return { child, port };
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill();
      throw new Error(`the SMTP sink did not start (python3 -m aiosmtpd; is aiosmtpd installed?)\n${err}`);
    }
    await sleep(100);
  }
}

// The decoded text body of each message in the Maildir.
export function mailbox(dir) {
  const out = [];
  for (const sub of ['new', 'cur']) {
    let names = [];
    try { names = readdirSync(join(dir, sub)); } catch (e) { if (e.code === 'ENOENT') continue; throw e; }
    for (const name of names) {
      const raw = readFileSync(join(dir, sub, name), 'utf8').replace(/\r\n/g, '\n');
      const cut = raw.indexOf('\n\n');
      const head = raw.slice(0, cut);
      let body = raw.slice(cut + 2);
      if (/^content-transfer-encoding:\s*base64/im.test(head)) {
        body = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
      } else if (/^content-transfer-encoding:\s*quoted-printable/im.test(head)) {
        body = body.replace(/=\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
      }
      out.push({ head, body });
    }
  }
  return out;
}

// Waits (up to 60 s: the server's worker delivers every few seconds) for a message in the Maildir `dir` to
// `address` whose body holds a link on `pathPrefix` (e.g. '/m/' or '/log/'); `what` names it in the failure.
export async function waitForLink(dir, address, pathPrefix, what) {
  const pattern = new RegExp(`https?://\\S+${pathPrefix}[A-Za-z0-9_-]+`);
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    for (const m of mailbox(dir)) {
      const to = m.head.match(/^to:\s*(.*)$/im)?.[1] ?? '';
      const link = m.body.match(pattern)?.[0];
      if (to.includes(address) && link) return { link, message: m };
    }
    await sleep(250);
  }
  throw new Error(`no ${what} e-mail to ${address} within 60 s`);
}

// ---- PDF ---------------------------------------------------------------------

// The text of a PDF, as PyPI's pypdf reads it (installed by scripts/test): what a reader of the saved file gets.
// Typographic ligatures (Chromium sets "ﬀ" for "ff") are folded back by NFKC.
export function pdfText(pdf) {
  const r = spawnSync('python3', ['-c', [
    'import io, sys, unicodedata, pypdf',
    'doc = pypdf.PdfReader(io.BytesIO(sys.stdin.buffer.read()))',
    'print(len(doc.pages))',
    'print(unicodedata.normalize("NFKC", "\\n".join(p.extract_text() for p in doc.pages)))',
  ].join('\n')], { input: pdf, env: CHILD_ENV, maxBuffer: 16 << 20 });
  if (r.status !== 0) throw new Error(`pypdf could not read the PDF (is pypdf installed?)\n${r.stderr}`);
  const [pages, ...lines] = r.stdout.toString().split('\n');
  return { pages: Number(pages), text: lines.join('\n') };
}
