/**
 * Runs INSIDE the User-Mode Linux guest, against a real running lab (scenarios.uml.test.ts compiles it with
 * tsc and runs it there; the host cannot reach the guest's loopback). It starts `lab ui` on the guest's
 * 127.0.0.1, drives the page in headless Chromium as a person would, reads the director's own tables through
 * `lab exec` beside it, saves screenshots, stops `lab ui` with SIGINT, and prints what it saw as one JSON
 * document on its last line of stdout (the lines before it name the screenshots): the host test asserts on it. It asserts nothing itself, so every observation reaches the host.
 *
 * Usage: node ui-live.driver.js CLI LAB (screenshots go to LAB_SCREENSHOTS).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import type { Page } from 'playwright-core';
import { nonLocalRequests, openBrowser, screenshot } from '../helpers/browser.js';

const [cli, labName] = process.argv.slice(2) as [string, string];
/** Chromium on one slow CPU: every wait generous, none unbounded. */
const WAIT_MS = 240_000;
const lab = (...args: string[]) => execFileSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });
const seconds = (t0: number) => Number(((performance.now() - t0) / 1000).toFixed(1));
const observed: Record<string, unknown> = {};

/** The page's live cells per real server: in table, weight, ActiveConn, InActConn, Conns, InPkts, OutPkts. */
const pageRows = (page: Page) =>
  page.locator('#servers tr[data-server]').evaluateAll((rows) =>
    Object.fromEntries(rows.map((r) => [r.getAttribute('data-server'), [...r.querySelectorAll('td.live')].map((td) => td.textContent)])));

/** Waits until the page has refreshed twice more: the second refresh asked the director after this call began. */
async function twoRefreshes(page: Page): Promise<void> {
  for (let i = 0; i < 2; i++) {
    const before = await page.locator('#updated').textContent();
    await page.waitForFunction((text) => document.querySelector('#updated')!.textContent !== text, before, { timeout: WAIT_MS });
  }
}

/** The director's counters from ipvsadm itself, then the page's after it has refreshed: no traffic in between. */
async function countersNow(page: Page): Promise<{ ipvsadm: string; page: Record<string, unknown> }> {
  const ipvsadm = lab('exec', 'lvs', '--', 'ipvsadm', '-Ln', '--stats');
  await twoRefreshes(page);
  return { ipvsadm, page: await pageRows(page) };
}

/** Processes whose command line contains MARKER (this one excluded): what the run must not leave behind. */
function processesWith(marker: string): string[] {
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid).flatMap((p) => {
    try {
      const cmdline = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').join(' ');
      return cmdline.includes(marker) ? [cmdline.trim()] : [];
    } catch {
      return [];
    }
  });
}

const portOpen = (port: number) => new Promise<boolean>((resolve) => {
  const socket = connect(port, '127.0.0.1', () => {
    socket.destroy();
    resolve(true);
  });
  socket.on('error', () => resolve(false));
});

const started = performance.now();
const ui = spawn(process.execPath, [cli, 'ui', labName, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
let uiStdout = '';
let uiStderr = '';
ui.stderr.on('data', (c: Buffer) => (uiStderr += c.toString()));
const uiExit = new Promise<number | null>((resolve) => ui.on('exit', (code) => resolve(code)));
const url = await new Promise<string>((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`lab ui printed no address in ${WAIT_MS} ms: ${uiStdout}${uiStderr}`)), WAIT_MS);
  ui.stdout.on('data', (c: Buffer) => {
    uiStdout += c.toString();
    const m = /open (http:\/\/127\.0\.0\.1:\d+\/)/.exec(uiStdout);
    if (m) {
      clearTimeout(timer);
      resolve(m[1]!);
    }
  });
});
observed.url = url;
observed.uiStartSeconds = seconds(started);

const browser = await openBrowser([url]);
const errors: string[] = [];
try {
  const page = await browser.context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  page.on('pageerror', (e) => errors.push(e.message));
  let t0 = performance.now();
  await page.goto(url);
  await page.locator('#updated', { hasText: 'updated' }).waitFor();
  observed.firstStateSeconds = seconds(t0);
  observed.before = await countersNow(page);
  await screenshot(page, `ui-uml-${labName}-1-live`);

  await page.fill('#count', '4');
  // Every dot the page animates, by its class (request or reply), as it is added to the picture.
  const dots: string[] = [];
  await page.exposeFunction('seenDot', (kind: string) => dots.push(kind));
  await page.evaluate(() => new MutationObserver((ms) => ms.forEach((m) => m.addedNodes.forEach((n) =>
    (window as unknown as { seenDot(k: string): void }).seenDot((n as Element).getAttribute('class') ?? ''))))
    .observe(document.querySelector('#picture svg')!, { childList: true }));
  t0 = performance.now();
  await page.click('#send');
  await page.locator('#log li.request, #log li.error').first().waitFor();
  observed.firstPathSeconds = seconds(t0);
  await page.locator('#log li.request').nth(3).waitFor();
  observed.dots = dots;
  observed.sendSeconds = seconds(t0);
  observed.timing = await page.locator('#timing').textContent();
  observed.requests = await page.locator('#log li.request').evaluateAll((lis) => lis.reverse().map((li) => ({
    server: li.getAttribute('data-server'), path: li.getAttribute('data-path'), measured: li.getAttribute('data-measured'), hops: li.getAttribute('title'), text: li.textContent,
  })));
  await screenshot(page, `ui-uml-${labName}-2-requests`);
  // IPVS folds its per-CPU counters into --stats every 2 s: read both once that has happened.
  await page.waitForTimeout(2500);
  observed.after = await countersNow(page);

  await page.click('button[data-group="rs"][data-action="stop"][data-node="rs1"]');
  await page.locator('#servers tr[data-server="rs1"][data-in-table="false"]').waitFor();
  observed.stopped = {
    ipvsadm: lab('exec', 'lvs', '--', 'ipvsadm', '-Ln'),
    log: await page.locator('#log li.action').first().textContent(),
    opacity: await page.locator('g.node[data-node="rs1"]').getAttribute('opacity'),
  };
  await screenshot(page, `ui-uml-${labName}-3-rs1-stopped`);
  // Put the lab back as it was: later commands of the boot use it.
  await page.click('button[data-group="rs"][data-action="start"][data-node="rs1"]');
  await page.locator('#servers tr[data-server="rs1"][data-in-table="true"]').waitFor();
  observed.restarted = { ipvsadm: lab('exec', 'lvs', '--', 'ipvsadm', '-Ln'), log: await page.locator('#log li.action').first().textContent() };
} catch (err) {
  observed.failure = String(err);
  const page = browser.context.pages()[0];
  if (page) {
    observed.logAtFailure = await page.locator('#log').textContent({ timeout: 10_000 }).catch(String);
    await screenshot(page, `ui-uml-${labName}-failure`).catch(() => undefined);
  }
} finally {
  observed.errors = errors;
  observed.nonLocalRequests = nonLocalRequests(browser);
  await browser.close();
}

ui.kill('SIGINT');
const port = Number(new URL(url).port);
observed.uiExitCode = await Promise.race([uiExit, new Promise((r) => setTimeout(() => r('still running after 30 s'), 30_000))]);
observed.uiStdout = uiStdout;
observed.uiStderr = uiStderr;
observed.portOpenAfter = await portOpen(port);
observed.uiAlive = ui.pid !== undefined && existsSync(`/proc/${ui.pid}`) && !readFileSync(`/proc/${ui.pid}/stat`, 'utf8').includes(') Z ');
observed.chromiumLeft = processesWith('chromium');
observed.totalSeconds = seconds(started);
process.stdout.write(`${JSON.stringify(observed)}\n`);
