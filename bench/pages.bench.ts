/**
 * Benchmark: how big lab's pages are and how long Chromium takes to load each from disk (issue 14's goal:
 * under 200 KB, under 1 s). Writes every page lab makes — `lab verify --html` from the report fixtures (real
 * UML runs of rr-basic, nat and tun, and a failed wrr), `lab graph -o x.html` for every built-in scenario, and
 * `lab ui`'s live page — then loads each in headless Chromium (Debian's, as the browser tests do). Prints
 * figures; asserts nothing. Usage: npm run bench:pages
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { renderGraph } from '../src/graph/render.js';
import { topologyGraph } from '../src/graph/model.js';
import { listBuiltinScenarios, loadScenario } from '../src/scenario/load.js';
import { livePage } from '../src/ui/page.js';
import { verifyPage } from '../src/verify/html.js';
import { openBrowser, type Browser } from '../test/helpers/browser.js';
import { fixtureReport, FIXTURES } from '../test/helpers/verify-fixtures.js';
import { builtinScenario } from '../test/helpers/builtin.js';

const LIMIT_BYTES = 200 * 1024;
const dir = mkdtempSync(join(tmpdir(), 'lab-pages-bench-'));
const pages: Array<{ name: string; file: string }> = [];
const write = (name: string, html: string) => {
  const file = join(dir, `${name}.html`);
  writeFileSync(file, html);
  pages.push({ name, file });
};
for (const [name, scenario] of Object.entries(FIXTURES) as Array<[keyof typeof FIXTURES, string]>) {
  write(`verify-${name}`, verifyPage(fixtureReport(name), (await loadScenario(scenario)).scenario));
}
for (const name of listBuiltinScenarios()) write(`graph-${name}`, renderGraph(topologyGraph(builtinScenario(name)), 'html'));
write('ui-rr-basic', livePage(builtinScenario('rr-basic')));

let browser: Browser;
let page: Page;
beforeAll(async () => {
  browser = await openBrowser();
  page = await browser.context.newPage();
  const rows = pages.map(({ name, file }) => {
    const bytes = statSync(file).size;
    return `  ${name.padEnd(24)} ${(bytes / 1024).toFixed(1).padStart(6)} KB  ${bytes < LIMIT_BYTES ? 'under' : 'OVER'} 200 KB`;
  });
  console.log(`page sizes:\n${rows.join('\n')}`);
});
afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('load from disk in Chromium (goto file:, until the load event; goal under 1000 ms)', () => {
  for (const { name, file } of pages) {
    bench(name, async () => {
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    }, { iterations: 10, time: 0, warmupIterations: 1 });
  }
});
