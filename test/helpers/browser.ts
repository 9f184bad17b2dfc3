import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { REPO_ROOT } from './cli.js';

/** Debian's chromium (scripts/host-programs): playwright-core drives it; no browser is ever downloaded. */
export const CHROMIUM = '/usr/bin/chromium';
/** Quiet, offline, throwaway: no sandbox (root in CI), no GPU, nothing phoned home, nothing kept between runs. */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Where screenshots go: kept after the run (`test-output/` is git-ignored), `LAB_SCREENSHOTS` to choose another. */
export const SCREENSHOT_DIR = process.env.LAB_SCREENSHOTS ?? join(REPO_ROOT, 'test-output', 'screenshots');

export interface Browser {
  context: BrowserContext;
  /** Every URL any page asked for, in order: the tests assert they are all file: or data:. */
  requests: string[];
  allowedOrigins: string[];
  close(): Promise<void>;
}

const isLocal = (url: string, origins: string[]) => url.startsWith('file:') || url.startsWith('data:') || origins.some((o) => url.startsWith(o));

/**
 * A headless Chromium with a fresh profile, in which anything but file: and data: (and the given origins:
 * `lab ui`'s own loopback server) is refused before it leaves.
 */
export async function openBrowser(allowedOrigins: string[] = []): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/setup.sh (apt-get install chromium).`);
  const profile = mkdtempSync(join(tmpdir(), 'lab-chromium-'));
  // launchPersistentContext is playwright's way to give --user-data-dir.
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, viewport: { width: 1280, height: 900 } });
  const requests: string[] = [];
  context.on('request', (r) => requests.push(r.url()));
  await context.route((url) => !isLocal(url.href, allowedOrigins), (route) => route.abort('blockedbyclient'));
  return {
    context,
    requests,
    allowedOrigins,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Opens a file from disk in a new page; returns the page and how long the load took (a figure to print, not to assert). */
export async function openFile(browser: Browser, file: string): Promise<{ page: Page; loadMs: number }> {
  const page = await browser.context.newPage();
  const started = performance.now();
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  return { page, loadMs: Math.round(performance.now() - started) };
}

/** A screenshot (the whole page for HTML) under SCREENSHOT_DIR; prints its path so a reader can find it. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  // A whole-page shot of a bare SVG document never finishes (Chromium has no scrolling element to measure there); its viewport shows it all.
  const isHtml = await page.evaluate(() => document.documentElement.tagName.toLowerCase() === 'html');
  await page.screenshot({ path, fullPage: isHtml });
  console.log(`screenshot: ${path}`);
  return path;
}

export const nonLocalRequests = (browser: Browser) => browser.requests.filter((url) => !isLocal(url, browser.allowedOrigins));
