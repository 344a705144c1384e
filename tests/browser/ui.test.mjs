// Browser tests of the web UI: Debian chromium driven by playwright-core against a real
// `faultline serve`, fed by the real Python sentry-sdk (feed.py).
//
//   FAULTLINE_BIN=target/debug/faultline node --test ui.test.mjs
//
// FAULTLINE_TEST_BACKEND=postgres runs the server on a fresh PostgreSQL database (created and
// dropped with psql). FAULTLINE_SCREENSHOTS=<dir> saves screenshots of the main pages there.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const BIN = process.env.FAULTLINE_BIN || path.join(root, 'target', 'debug', 'faultline');
const PYTHON = process.env.FEED_PYTHON || path.join(root, '.venv', 'bin', 'python');
const PG_SERVER = process.env.FAULTLINE_TEST_POSTGRES || 'postgres://postgres@127.0.0.1:5432/postgres';
const POSTGRES = process.env.FAULTLINE_TEST_BACKEND === 'postgres';
const SHOTS = process.env.FAULTLINE_SCREENSHOTS;
const EMAIL = 'admin@localhost';
const PASSWORD = 'browser-admin-pw';
const XSS = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">';

let server, base, dsn, dataDir, database, browser;

function psql(sql) {
  execFileSync('psql', [PG_SERVER, '-v', 'ON_ERROR_STOP=1', '-qc', sql], { stdio: 'pipe' });
}

async function startServer() {
  dataDir = mkdtempSync(path.join(tmpdir(), 'faultline-ui-'));
  const env = { ...process.env, FAULTLINE_ADMIN_PASSWORD: PASSWORD, FAULTLINE_ADMIN_EMAIL: EMAIL, RUST_LOG: 'warn' };
  const args = ['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir];
  if (POSTGRES) {
    database = `faultline_ui_${process.pid}_${Date.now()}`;
    psql(`CREATE DATABASE ${database}`);
    args.push('--database-url', PG_SERVER.replace(/\/[^/]*$/, `/${database}`));
  }
  server = spawn(BIN, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  server.stderr.on('data', (d) => { out += d; });
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 30000);
    server.stdout.on('data', (d) => {
      out += d;
      const ui = out.match(/UI: (http:\/\/\S+?)\/?\n/);
      const key = out.match(/DSN: (\S+)\n/);
      if (ui && key) { base = ui[1]; dsn = key[1]; clearTimeout(timer); resolve(); }
    });
    server.on('exit', (code) => reject(new Error(`server exited ${code}:\n${out}`)));
  });
}

function feed() {
  // The SDK marks frames under its working directory in-app: run it from the repository root.
  const out = execFileSync(PYTHON, [path.join(here, 'feed.py')], { cwd: root, env: { ...process.env, FEED_DSN: dsn }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const line = out.split('\n').find((l) => l.startsWith('FEED-RESULT '));
  assert.ok(line, `feed.py printed no result:\n${out}`);
  return JSON.parse(line.slice('FEED-RESULT '.length));
}

async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  page.errors = [];
  page.dialogs = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  page.on('dialog', (d) => { page.dialogs.push(d.message()); d.dismiss().catch(() => {}); });
  return page;
}

async function signIn(page, password = PASSWORD) {
  await page.goto(`${base}/issues`);
  assert.match(page.url(), /\/login\?next=/);
  await page.fill('input[name=email]', EMAIL);
  await page.fill('input[name=password]', password);
  await page.click('#login-form button[type=submit]');
}

async function shot(page, name) {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: false });
}

async function waitForIssues(page, n) {
  for (let i = 0; i < 50; i++) {
    await page.goto(`${base}/issues?tab=all`);
    if ((await page.locator('tr.issue-row').count()) >= n) return;
    await page.waitForTimeout(200);
  }
  assert.fail(`fewer than ${n} issues arrived`);
}

before(async () => {
  await startServer();
  feed();
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  if (browser) await browser.close();
  if (server) {
    server.kill('SIGTERM');
    await new Promise((r) => { server.once('exit', r); setTimeout(r, 10000); });
  }
  if (database) psql(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

test('signing in: wrong password refused, right one lands on the issue list', async () => {
  const page = await newPage();
  await signIn(page, 'not-the-password');
  await page.waitForSelector('.flash.error');
  assert.match(await page.textContent('.flash.error'), /Wrong email or password/);
  await page.fill('input[name=password]', PASSWORD);
  await page.click('#login-form button[type=submit]');
  await page.waitForURL(/\/issues$/);
  await waitForIssues(page, 6);
  await page.goto(`${base}/issues`);
  // Each row names its service and the environments it was seen in.
  assert.match(await page.locator('tr.issue-row .where').first().textContent(), /default\s+production/);
  await shot(page, 'issues');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('the list filters by level and type, and searches', async () => {
  const page = await newPage();
  await signIn(page);
  await waitForIssues(page, 6);
  await page.goto(`${base}/issues`);
  await page.selectOption('select[name=level]', 'warning');
  await page.waitForURL(/level=warning/);
  let titles = await page.locator('a.issue-title').allTextContents();
  assert.deepEqual(titles, ['inventory sync finished with warnings']);
  // Save this view, leave it, come back to it through the saved-views bar.
  await page.fill('#save-view input[name=name]', 'Warnings');
  await page.click('#save-view button[type=submit]');
  await page.waitForURL(/level=warning/);
  await page.goto(`${base}/issues`);
  await page.click('#saved-views a:has-text("Warnings")');
  await page.waitForURL(/level=warning/);
  assert.deepEqual(await page.locator('a.issue-title').allTextContents(), ['inventory sync finished with warnings']);
  assert.equal(await page.locator('#saved-views .saved.active').count(), 1);

  await page.goto(`${base}/issues`);
  await page.selectOption('select[name=kind]', 'logged');
  await page.waitForURL(/kind=logged/);
  titles = await page.locator('a.issue-title').allTextContents();
  assert.deepEqual(titles, ['payment gateway eu-1 unreachable after 3 retries']);

  await page.goto(`${base}/issues`);
  await page.fill('#search', 'CardDeclined');
  await page.press('#search', 'Enter');
  await page.waitForURL(/query=CardDeclined/);
  titles = await page.locator('a.issue-title').allTextContents();
  assert.deepEqual(titles, ['CardDeclined']);

  await page.fill('#search', 'is:unresolved release:shop@2.4.1 "gateway eu-1"');
  await page.press('#search', 'Enter');
  await page.waitForURL(/query=/);
  titles = await page.locator('a.issue-title').allTextContents();
  assert.deepEqual(titles, ['payment gateway eu-1 unreachable after 3 retries']);

  // Keyboard: j moves the cursor, Enter opens.
  await page.goto(`${base}/issues?query=CardDeclined`);
  await page.keyboard.press('j');
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/issues\/\d+$/);
  assert.equal(await page.textContent('.ex-type'), 'CardDeclined');
  await page.context().close();
});

test('the issue page shows the failing line, a variable, a breadcrumb and the request', async () => {
  const page = await newPage();
  await signIn(page);
  await waitForIssues(page, 6);
  await page.goto(`${base}/issues?query=CardDeclined`);
  await page.click('a.issue-title');
  await page.waitForURL(/\/issues\/\d+$/);

  // Code: the highlighted line is the raise in shop/payments.py; library frames are hidden.
  const current = page.locator('#code li.frame.in-app').first().locator('tr.current');
  assert.match(await current.textContent(), /raise CardDeclined\(f"card declined for order \{order_id\}"\)/);
  assert.equal(await page.locator('#code li.frame.in-app').first().locator('.fn').textContent(), 'authorize');
  await shot(page, 'issue-code');

  // Variables: order_id is 4711, the password is masked.
  await page.click('a[data-tab=variables]');
  const vars = page.locator('#variables .vars-frame').first();
  assert.ok(await vars.isVisible());
  const authorize = page.locator('#variables .vars-frame', { hasText: 'authorize' }).first();
  assert.match(await authorize.textContent(), /order_id\s*4711/);
  assert.match(await authorize.locator('li', { hasText: 'password' }).first().textContent(), /\[Filtered\]/);
  assert.doesNotMatch(await page.content(), /hunter2-browser/);
  await shot(page, 'issue-variables');
  // Across events: the failing frame's variables and their most frequent values.
  const issueUrl = page.url();
  await page.click('#across-events');
  await page.waitForURL(/\/variables$/);
  const spread = await page.textContent('#var-spread');
  assert.match(spread, /order_id\s*1\s*100% 4711/);
  assert.match(spread, /password\s*1\s*100% \[Filtered\]/);
  await page.goto(issueUrl);

  // Log: the breadcrumbs before the error, filterable by level.
  await page.click('a[data-tab=log]');
  assert.match(await page.textContent('#crumbs'), /authorizing card/);
  assert.match(await page.textContent('#crumbs'), /slow payment provider: 1800 ms/);
  await page.click('#level-filter button[data-level=warning]');
  const visible = await page.locator('#crumbs tbody tr:visible').allTextContents();
  assert.ok(visible.length >= 1 && visible.every((t) => /warning/.test(t)), visible.join('|'));
  await shot(page, 'issue-log');

  // Environment: the request.
  await page.click('a[data-tab=environment]');
  const req = await page.textContent('#request');
  assert.match(req, /POST/);
  assert.match(req, /http:\/\/shop\.example\/checkout/);
  assert.match(req, /coupon/);
  assert.match(await page.textContent('#user'), /ada@example\.com/);
  await shot(page, 'issue-environment');

  // Why grouped and raw JSON exist.
  await page.click('a[data-tab=grouping]');
  assert.match(await page.textContent('#grouping'), /exception/);
  await page.click('a[data-tab=json]');
  assert.match(await page.textContent('#raw-json'), /"event_id"/);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('resolve, assign and comment; then reopen', async () => {
  const page = await newPage();
  await signIn(page);
  await waitForIssues(page, 6);
  await page.goto(`${base}/issues?query=KeyError`);
  await page.click('a.issue-title');
  await page.waitForURL(/\/issues\/\d+$/);
  const url = page.url();

  await page.click('#resolve');
  await page.waitForURL(url);
  assert.equal((await page.textContent('#issue-status')).trim(), 'resolved');

  await page.selectOption('#assignee-select', { label: EMAIL });
  await page.click('#assign');
  await page.waitForURL(/#activity$/);
  assert.equal((await page.textContent('#issue-assignee')).trim(), EMAIL);

  await page.fill('#comment-form textarea', 'Fixed by validating the SKU first.');
  await page.click('#comment-form button[type=submit]');
  await page.waitForURL(/#activity$/);
  const log = await page.textContent('#activity-log');
  assert.match(log, /Fixed by validating the SKU first\./);
  assert.match(log, /assigned it to admin@localhost/);
  assert.match(log, /marked it resolved/);
  await shot(page, 'issue-activity');

  // The list's Resolved tab has it; "assigned to me" finds it.
  await page.goto(`${base}/issues?tab=resolved&assignee=me`);
  assert.deepEqual(await page.locator('a.issue-title').allTextContents(), ['KeyError']);
  await page.goto(url);
  await page.click('#reopen');
  await page.waitForURL(url);
  assert.equal((await page.textContent('#issue-status')).trim(), 'unresolved');

  // Resolve in a named release; ignore until more users; reopen.
  await page.fill('input[name=release]', 'shop@2.5.0');
  await page.click('button:has-text("Resolve in release")');
  await page.waitForURL(url);
  assert.match(await page.textContent('.facts'), /resolved\s+in release shop@2\.5\.0/);
  await page.click('#reopen');
  await page.waitForURL(url);
  await page.fill('#ignore-until input[name=count]', '5');
  await page.click('#ignore-until button[value=ignore_users]');
  await page.waitForURL(url);
  assert.match(await page.textContent('.facts'), /ignored\s+until 5 more users are affected/);
  await page.click('#reopen');
  await page.waitForURL(url);
  await page.context().close();
});

test('bulk resolve from the list', async () => {
  const page = await newPage();
  await signIn(page);
  await waitForIssues(page, 6);
  await page.goto(`${base}/issues?query=inventory`);
  await page.check('tr.issue-row input[name=id]');
  await page.click('#bulk button[value=resolve]');
  await page.waitForURL(/query=inventory/);
  assert.equal(await page.locator('tr.issue-row').count(), 0);
  await page.goto(`${base}/issues?tab=resolved&query=inventory`);
  assert.equal(await page.locator('tr.issue-row').count(), 1);
  await page.context().close();
});

test('services, agents, releases and settings render what arrived', async () => {
  const page = await newPage();
  await signIn(page);
  await waitForIssues(page, 6);
  await page.goto(`${base}/services`);
  assert.match(await page.textContent('#services'), /production/);
  await shot(page, 'services');
  await page.goto(`${base}/services/default`);
  assert.match(await page.textContent('body'), new RegExp(dsn.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')));
  assert.match(await page.textContent('body'), /sentry_sdk\.init/);
  await page.goto(`${base}/agents`);
  const agents = await page.textContent('#agents');
  assert.match(agents, /CONNECTED/);
  assert.match(agents, /sentry\.python/);
  assert.match(agents, /web-1/);
  await shot(page, 'agents');
  await page.goto(`${base}/releases`);
  assert.match(await page.textContent('#releases'), /shop@2\.4\.1/);
  await shot(page, 'releases');
  await page.click('#releases a.release');
  assert.ok((await page.locator('#release-issues tbody tr').count()) >= 5);
  await page.goto(`${base}/settings`);
  assert.match(await page.textContent('#keys'), new RegExp(dsn.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')));
  assert.equal(await page.inputValue('#keys input[name=label]'), 'Default');
  await shot(page, 'settings');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('XSS payloads in message, tags, variables, breadcrumbs and request URL render as text', async () => {
  const page = await newPage();
  await signIn(page);
  await waitForIssues(page, 6);
  const pages = [];
  await page.goto(`${base}/issues?tab=all`);
  for (const a of await page.locator('a.issue-title').all()) pages.push(await a.getAttribute('href'));
  await page.goto(`${base}/issues?query=InjectedError`);
  const injected = await page.locator('a.issue-title').first().getAttribute('href');
  assert.ok(injected);
  for (const href of [...pages, injected]) {
    await page.goto(`${base}${href}`);
    for (const tab of ['code', 'variables', 'log', 'environment', 'json']) {
      await page.click(`a[data-tab=${tab}]`);
    }
  }
  await page.goto(`${base}${injected}`);
  // The payload is on the page as text in each place it came in.
  assert.equal(await page.textContent('.ex-value'), XSS);
  await page.click('a[data-tab=variables]');
  assert.match(await page.textContent('#variables'), /window\.__xss=1/);
  await page.click('a[data-tab=log]');
  assert.match(await page.textContent('#crumbs'), /<script>window\.__xss=1<\/script>/);
  await page.click('a[data-tab=environment]');
  assert.match(await page.textContent('#tags'), /<img src=x onerror/);
  const url = await page.textContent('#request .req-line');
  assert.match(url, /javascript:\/\/window\.__xss=4\/x/);
  // …and nothing ran, and no javascript: link exists.
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  assert.equal(await page.locator('a[href^="javascript:" i]').count(), 0);
  assert.equal(await page.locator('#request a').count(), 0);
  assert.deepEqual(page.dialogs, []);
  assert.equal(await page.locator('img[src=x]').count(), 0);
  const csp = (await page.goto(`${base}${injected}`)).headers()['content-security-policy'];
  assert.match(csp, /script-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline/);
  await page.context().close();
});

test('signing out ends the session', async () => {
  const page = await newPage();
  await signIn(page);
  await page.waitForURL(/\/issues$/);
  const cookies = await page.context().cookies();
  const session = cookies.find((c) => c.name === 'faultline_session');
  assert.ok(session && session.httpOnly, 'session cookie is HttpOnly');
  await page.click('#sign-out');
  await page.waitForURL(/\/login$/);
  await page.goto(`${base}/issues`);
  assert.match(page.url(), /\/login\?next=/);
  // The old cookie is refused by the API too.
  const resp = await fetch(`${base}/api/0/projects/`, { headers: { cookie: `faultline_session=${session.value}` } });
  assert.equal(resp.status, 401);
  await page.context().close();
});
