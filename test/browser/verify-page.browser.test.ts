import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressOn, clients, vipInterface } from '../../src/scenario/model.js';
import { MARK } from '../../src/verify/report.js';
import { verifyPage } from '../../src/verify/html.js';
import type { VerifyReport } from '../../src/verify/run.js';
import { openBrowser, openFile, nonLocalRequests, screenshot, type Browser } from '../helpers/browser.js';
import { fixtureReport } from '../helpers/verify-fixtures.js';
import { builtinScenario } from '../helpers/builtin.js';

// `lab verify --html` pages from report fixtures, as a reader sees them in headless Chromium.

interface DrawnHop {
  hop: number;
  from: string;
  to: string;
  kind: string;
  text: string;
  /** The node boxes the curve really starts and ends on, by geometry. */
  startsOn: string | null;
  endsOn: string | null;
}

describe('verify --html page in a real browser', () => {
  let browser: Browser;
  const dir = mkdtempSync(join(tmpdir(), 'lab-verify-page-'));
  beforeAll(async () => {
    browser = await openBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  // The hops each method's connection takes, as the reports (from real UML runs for nat and tun) recorded them.
  const cases: Array<[string, VerifyReport, string, string[]]> = [
    ['rr-basic', { ...fixtureReport('rr-basic'), captures: [join(dir, 'pcap', 'rs1.pcap'), join(dir, 'pcap', 'lvs.pcap')] }, 'rr-basic', ['client -> lvs', 'lvs -> rs', 'rs -> client']],
    ['wrr-failed', fixtureReport('wrr-failed'), 'wrr', ['client -> lvs', 'lvs -> rs', 'rs -> client']],
    ['nat', fixtureReport('nat'), 'nat', ['client -> lvs', 'lvs -> rs', 'rs -> lvs', 'lvs -> client']],
    ['tun', fixtureReport('tun'), 'tun', ['client -> lvs', 'lvs -> rs', 'rs -> client']],
  ];

  it.each(cases)('%s: every check row, the hop arrows where the hop table says, counts, captures, no fetch', async (name, report, scenarioName, shape) => {
    const scenario = builtinScenario(scenarioName);
    const clientIp = addressOn(scenario, clients(scenario)[0]!, vipInterface(scenario).network)!;
    expect(report.hops!.map((h) => h.path.replace(/rs\d/, 'rs'))).toEqual(shape);
    const file = join(dir, `verify-${name}.html`);
    writeFileSync(file, verifyPage(report, scenario, { pageDir: dir }));
    const { page, loadMs } = await openFile(browser, file);
    console.log(`verify-${name}.html: ${statSync(file).size} bytes, loaded in ${loadMs} ms`);

    const checks = await page.locator('#checks tr.check').evaluateAll((rows) => rows.map((r) => ({ id: r.getAttribute('data-check'), status: r.querySelector('.status')!.textContent, text: r.textContent })));
    expect(checks.map((c) => [c.id, c.status])).toEqual(report.checks.map((c) => [c.id, MARK[c.status]]));
    report.checks.forEach((c, i) => {
      expect(checks[i]!.text).toContain(c.summary);
      if (c.diagnosis) expect(checks[i]!.text).toContain(c.diagnosis);
    });

    const hops: DrawnHop[] = await page.evaluate(() => {
      const boxes = [...document.querySelectorAll('g.node')].map((g) => ({ name: g.getAttribute('data-node')!, box: (g.querySelector('rect') as SVGRectElement).getBBox() }));
      const onBox = (p: DOMPoint) => boxes.find(({ box }) => p.x >= box.x && p.x <= box.x + box.width && Math.abs(p.y - box.y) <= 12)?.name ?? null;
      return [...document.querySelectorAll('g.hop')].map((g) => {
        const path = g.querySelector('path') as SVGPathElement;
        return {
          hop: Number(g.getAttribute('data-hop')), from: g.getAttribute('data-from')!, to: g.getAttribute('data-to')!, kind: g.getAttribute('data-kind')!,
          text: g.textContent ?? '', startsOn: onBox(path.getPointAtLength(0)), endsOn: onBox(path.getPointAtLength(path.getTotalLength())),
        };
      });
    });
    expect(hops.map((h) => [h.hop, h.startsOn, h.endsOn, h.kind])).toEqual(
      report.hops!.map((h) => [h.hop, ...h.path.split(' -> '), h.dstIp.startsWith(`${clientIp} `) ? 'reply' : 'request']),
    );
    report.hops!.forEach((h, i) => {
      expect(hops[i]!.text).toContain(`MAC ${h.srcMac} -> ${h.dstMac}`);
      expect(hops[i]!.text).toContain(`IP ${h.srcIp} -> ${h.dstIp}`);
      if (h.outerSrcIp) expect(hops[i]!.text).toContain(`IPIP ${h.outerSrcIp} -> ${h.outerDstIp}`);
    });
    expect(await page.locator('#hops tr.hop-row').count()).toBe(report.hops!.length);

    const seen = await page.locator('#counts tr.server-row').evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-server'), Number(r.getAttribute('data-seen'))]));
    const expected = [...new Set(report.requests.map((r) => r.server))].sort().map((s) => [s, report.requests.filter((r) => r.server === s).length]);
    expect(seen).toEqual(expected);

    const links = await page.locator('a.capture').evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).href));
    expect(links).toEqual(report.captures.map((p) => `file://${p}`));

    await screenshot(page, `verify-${name}`);
    await page.close();
    expect(nonLocalRequests(browser)).toEqual([]);
    expect(browser.requests.length).toBeGreaterThan(0); // the guard saw the page itself: it is listening
  });

  it('the request guard sees and refuses a page that would fetch from the network (so the checks above can fail)', async () => {
    const file = join(dir, 'fetches.html');
    // .invalid never resolves, and the guard aborts the request inside the browser before it is sent.
    writeFileSync(file, '<!DOCTYPE html><img src="http://lab.invalid/pixel.png">');
    const { page } = await openFile(browser, file);
    await page.waitForLoadState('load');
    expect(nonLocalRequests(browser)).toEqual(['http://lab.invalid/pixel.png']);
    browser.requests.length = 0;
    await page.close();
  });
});
