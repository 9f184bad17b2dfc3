import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topologyGraph } from '../../src/graph/model.js';
import { listBuiltinScenarios } from '../../src/scenario/load.js';
import { openBrowser, openFile, nonLocalRequests, screenshot, type Browser } from '../helpers/browser.js';
import { lab } from '../helpers/cli.js';
import { builtinScenario } from '../helpers/builtin.js';

// `lab graph` pictures as a reader sees them: the built CLI writes them, headless Chromium opens them from disk.

interface Drawn {
  nodes: Array<{ name: string; role: string; text: string; overflow: string[] }>;
  networks: Array<{ name: string; subnet: string; text: string }>;
  /** Pairs of boxes and labels whose rendered areas overlap. */
  collisions: string[];
}

/** What the browser actually rendered: each node's text and any line wider than its box, each network, overlaps. */
function readPicture(page: Page): Promise<Drawn> {
  return page.evaluate(() => {
    const svg = document.querySelector('svg')!;
    type R = { x: number; y: number; width: number; height: number };
    const inside = (a: R, b: R) => a.x >= b.x && a.y >= b.y && a.x + a.width <= b.x + b.width && a.y + a.height <= b.y + b.height;
    const overlap = (a: R, b: R) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
    const nodes = [...svg.querySelectorAll('g.node')].map((g) => {
      const rect = (g.querySelector('rect') as SVGRectElement).getBBox();
      const texts = [...g.querySelectorAll('text')] as SVGTextElement[];
      return { name: g.getAttribute('data-node')!, role: g.getAttribute('data-role')!, text: g.textContent ?? '', box: rect, overflow: texts.filter((t) => !inside(t.getBBox(), rect)).map((t) => t.textContent ?? '') };
    });
    const networks = [...svg.querySelectorAll('g.network')].map((g) => {
      const label = [...g.querySelectorAll('text')].at(-1) as SVGTextElement;
      return { name: g.getAttribute('data-network')!, subnet: g.getAttribute('data-subnet')!, text: label.textContent ?? '', box: label.getBBox() };
    });
    const areas = [...nodes.map((n) => ({ what: `node ${n.name}`, box: n.box })), ...networks.map((n) => ({ what: `label of ${n.name}`, box: n.box }))];
    const collisions = areas.flatMap((a, i) => areas.slice(i + 1).filter((b) => overlap(a.box, b.box)).map((b) => `${a.what} / ${b.what}`));
    return { nodes: nodes.map(({ box: _b, ...n }) => n), networks: networks.map(({ box: _b, ...n }) => n), collisions };
  });
}

describe('lab graph pictures in a real browser', () => {
  let browser: Browser;
  const dir = mkdtempSync(join(tmpdir(), 'lab-graph-browser-'));
  beforeAll(async () => {
    browser = await openBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  describe.each(listBuiltinScenarios())('%s', (name) => {
    const scenario = builtinScenario(name);
    const graph = topologyGraph(scenario);

    it.each(['svg', 'html'])('as .%s: every node with its addresses and role lines, every network with its subnet, nothing overflowing or overlapping', async (ext) => {
      const file = join(dir, `${name}.${ext}`);
      const r = await lab(['graph', name, '-o', file], { env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
      expect(r.exitCode, r.stderr).toBe(0);
      const { page, loadMs } = await openFile(browser, file);
      console.log(`${name}.${ext}: ${statSync(file).size} bytes, loaded in ${loadMs} ms`);
      const drawn = await readPicture(page);

      expect(drawn.nodes.map((n) => [n.name, n.role])).toEqual(graph.nodes.map((n) => [n.name, n.role]));
      for (const node of graph.nodes) {
        const text = drawn.nodes.find((n) => n.name === node.name)!.text;
        for (const i of node.interfaces) expect(text).toContain(`${i.device} ${i.address}`);
        if (node.vipDevice) expect(text).toContain(`VIP ${scenario.service.vip} on ${node.vipDevice}`);
        if (node.forwarding) expect(text).toContain(`weight ${node.weight}`);
      }
      expect(drawn.networks.map((n) => [n.name, n.subnet])).toEqual(scenario.networks.map((n) => [n.name, n.subnet]));
      for (const n of drawn.networks) expect(n.text).toContain(n.subnet);
      expect(drawn.nodes.flatMap((n) => n.overflow.map((line) => `${n.name}: ${line}`))).toEqual([]);
      expect(drawn.collisions).toEqual([]);
      expect(await page.locator('svg text.service').textContent()).toContain(`VIP ${scenario.service.vip}`);
      if (ext === 'html' || name === 'nat') await screenshot(page, `graph-${name}-${ext}`);
      await page.close();
      expect(nonLocalRequests(browser)).toEqual([]);
    });
  });
});
