import { describe, expect, it } from 'vitest';
import { layoutGraph } from '../../src/graph/layout.js';
import { renderMermaid } from '../../src/graph/mermaid.js';
import { topologyGraph } from '../../src/graph/model.js';
import { graphFormatFor, renderGraph } from '../../src/graph/render.js';
import { renderSvg } from '../../src/graph/svg.js';
import { listBuiltinScenarios } from '../../src/scenario/load.js';
import { builtinScenario } from '../helpers/builtin.js';

const graphOf = (name: string) => topologyGraph(builtinScenario(name));

describe('topology model', () => {
  it('orders nodes as a request travels and says where each holds the VIP', () => {
    const g = graphOf('rr-basic');
    expect(g.nodes.map((n) => [n.name, n.role, n.vipDevice])).toEqual([
      ['client', 'client', undefined], ['lvs', 'director', 'eth0:1'], ['rs1', 'real-server', 'lo'], ['rs2', 'real-server', 'lo'],
    ]);
    expect(g.service).toBe('172.20.1.100:80 tcp, scheduler rr, DR');
  });
  it('NAT: the director on both networks, no VIP on the servers, rs1 on its mapped port', () => {
    const g = graphOf('nat');
    const lvs = g.nodes.find((n) => n.name === 'lvs')!;
    expect(lvs.interfaces).toEqual([{ network: 'lvs_outer', device: 'eth0', address: '192.168.100.155' }, { network: 'lvs_inner', device: 'eth1', address: '172.16.100.10' }]);
    const rs1 = g.nodes.find((n) => n.name === 'rs1')!;
    expect([rs1.vipDevice, rs1.forwarding, rs1.port]).toEqual([undefined, 'nat', 8080]);
  });
  it('TUN servers hold the VIP on tunl0; wrr carries the weights', () => {
    expect(graphOf('tun').nodes.filter((n) => n.role === 'real-server').map((n) => n.vipDevice)).toEqual(['tunl0', 'tunl0']);
    expect(graphOf('wrr').nodes.filter((n) => n.role === 'real-server').map((n) => n.weight)).toEqual([1, 2]);
  });
});

describe('layout', () => {
  it('NAT: each bus reaches exactly its members, the director drops to both', () => {
    const layout = layoutGraph(graphOf('nat'));
    const drops = (net: string) => layout.drops.filter((d) => d.network === net).map((d) => d.node);
    expect(drops('lvs_outer')).toEqual(['client', 'lvs']);
    expect(drops('lvs_inner')).toEqual(['lvs', 'rs1', 'rs2']);
    for (const bus of layout.buses) {
      for (const d of layout.drops.filter((x) => x.network === bus.network)) {
        expect(d.x).toBeGreaterThan(bus.x1);
        expect(d.x).toBeLessThan(bus.x2);
        expect(d.y2).toBe(bus.y);
      }
    }
  });
  it('no two boxes overlap and all fit in the picture', () => {
    for (const name of listBuiltinScenarios()) {
      const layout = layoutGraph(graphOf(name));
      const boxes = [...layout.nodes.values()].sort((a, b) => a.x - b.x);
      boxes.slice(1).forEach((b, i) => expect(b.x).toBeGreaterThanOrEqual(boxes[i]!.x + boxes[i]!.width));
      expect(boxes.at(-1)!.x + boxes.at(-1)!.width).toBeLessThanOrEqual(layout.width);
      expect(Math.max(...layout.buses.map((b) => b.y))).toBeLessThan(layout.height);
    }
  });
});

describe.each(listBuiltinScenarios())('every renderer draws all of %s', (name) => {
  const scenario = builtinScenario(name);
  const g = topologyGraph(scenario);
  it('SVG: every node, network, subnet, address and the VIP', () => {
    const svg = renderSvg(g);
    for (const n of scenario.nodes) expect(svg).toContain(`data-node="${n.name}"`);
    for (const net of scenario.networks) expect(svg).toContain(`data-network="${net.name}" data-subnet="${net.subnet}"`);
    for (const n of g.nodes) for (const i of n.interfaces) expect(svg).toContain(`${i.device} ${i.address}`);
    expect(svg).toContain(`VIP ${scenario.service.vip}`);
    expect(svg).not.toMatch(/(href|src)="(?!#)/); // nothing fetched from elsewhere
  });
  it('Mermaid: every node and every link to a network', () => {
    const text = renderMermaid(g);
    expect(text.startsWith('flowchart LR\n')).toBe(true);
    g.nodes.forEach((n, k) => {
      expect(text).toContain(`  node${k}["${n.name} (`);
      for (const i of n.interfaces) expect(text).toContain(`node${k} ---|"${i.device} ${i.address}"| net${g.networks.findIndex((net) => net.name === i.network)}`);
    });
  });
});

describe('Mermaid text', () => {
  it('a title with a line break stays one comment line', () => {
    const text = renderMermaid({ ...graphOf('rr-basic'), title: 'two\nlines' });
    expect(text.split('\n')[1]).toBe('  %% rr-basic: two lines');
  });
  it('quotes in names and pages cannot end a label', () => {
    const g = graphOf('rr-basic');
    const text = renderMermaid({ ...g, networks: [{ ...g.networks[0]!, subnet: 'a"b<c>' }] });
    expect(text).toContain('net0[("lvs_dr<br/>a#quot;b#lt;c#gt;")]');
  });
});

describe('format by extension', () => {
  it('picks svg, html, markdown, mermaid; stdout is Mermaid', () => {
    expect(['a.svg', 'a.HTML', 'a.htm', 'a.md', 'a.mmd', undefined].map(graphFormatFor)).toEqual(['svg', 'html', 'html', 'markdown', 'mermaid', 'mermaid']);
  });
  it('refuses another extension with a fix', () => {
    expect(() => graphFormatFor('a.png')).toThrow(/Cannot tell/);
    try { graphFormatFor('a.png'); } catch (err) { expect((err as { hint: string }).hint).toContain('.svg'); }
  });
  it('HTML embeds the SVG inline and forbids fetching; Markdown fences the Mermaid', () => {
    const g = graphOf('wrr');
    const html = renderGraph(g, 'html');
    expect(html).toContain('<svg xmlns=');
    expect(html).toContain("default-src 'none'");
    expect(renderGraph(g, 'markdown')).toContain('```mermaid\nflowchart LR');
  });
});
