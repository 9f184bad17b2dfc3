import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topologyGraph } from '../../src/graph/model.js';
import { listBuiltinScenarios } from '../../src/scenario/load.js';
import { nonLocalRequests, openBrowser, openFile, screenshot, type Browser } from '../helpers/browser.js';
import { lab } from '../helpers/cli.js';
import { builtinScenario } from '../helpers/builtin.js';

// `lab graph`'s Mermaid, read by Mermaid itself (the devDependency's browser bundle, from disk): what GitHub
// and other viewers would draw from a `.md` file.
const MERMAID_JS = createRequire(import.meta.url).resolve('mermaid/dist/mermaid.min.js');

describe('lab graph Mermaid, drawn by Mermaid in a real browser', () => {
  let browser: Browser;
  const dir = mkdtempSync(join(tmpdir(), 'lab-mermaid-'));
  const host = join(dir, 'mermaid.html');
  beforeAll(async () => {
    writeFileSync(host, `<!DOCTYPE html><html><body><div id="out"></div><script src="${pathToFileURL(MERMAID_JS).href}"></script><script>mermaid.initialize({ startOnLoad: false, htmlLabels: false });</script></body></html>`);
    browser = await openBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  it.each(listBuiltinScenarios())('%s: parses, and the drawing has every node, network and address', async (name) => {
    const r = await lab(['graph', name], { env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
    expect(r.exitCode, r.stderr).toBe(0);
    const { page } = await openFile(browser, host);
    const drawn = await page.evaluate(async (text) => {
      const m = (window as unknown as { mermaid: { render(id: string, text: string): Promise<{ svg: string }> } }).mermaid;
      const { svg } = await m.render('graph', text);
      const out = document.getElementById('out')!;
      out.innerHTML = svg;
      // The labels only (not the style sheet), without spaces: Mermaid wraps long labels into several lines.
      const labels = [...out.querySelectorAll('g.node, g.edgeLabel')].map((g) => g.textContent ?? '').join('|').replace(/\s/g, '');
      return { text: labels, nodes: out.querySelectorAll('g.node').length, edges: out.querySelectorAll('path.flowchart-link').length };
    }, r.stdout);
    const graph = topologyGraph(builtinScenario(name));
    expect(drawn.nodes).toBe(graph.nodes.length + graph.networks.length);
    expect(drawn.edges).toBe(graph.nodes.reduce((n, node) => n + node.interfaces.length, 0));
    const missing = [
      ...graph.nodes.flatMap((node) => [node.name, ...node.interfaces.map((i) => `${i.device} ${i.address}`), ...(node.vipDevice ? [`VIP ${graph.vip} on ${node.vipDevice}`] : [])]),
      ...graph.networks.map((net) => `${net.name} ${net.subnet}`),
    ].filter((label) => !drawn.text.includes(label.replace(/\s/g, '')));
    expect(missing).toEqual([]);
    if (name === 'nat') await screenshot(page, 'mermaid-nat');
    await page.close();
    expect(nonLocalRequests(browser)).toEqual([]);
  });
});
