import { nodeDetails, type TopologyGraph } from './model.js';

/**
 * A network diagram in the style of the tutorials' drawings: the nodes in one row in the order a request
 * travels (clients, director, real servers), each network a bus below them, a drop line from each node to
 * each network it is on. Any membership (NAT's director on two networks, 3+ servers) fits without crossings
 * of boxes, so no general graph layout is needed; arrows of a measured path go in the space above the row.
 */
export interface Layout {
  width: number;
  height: number;
  nodes: Map<string, Box>;
  buses: Bus[];
  drops: Drop[];
  /** Where arrows above the row start and end: the top edge of the boxes. */
  rowTop: number;
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Bus {
  network: string;
  y: number;
  x1: number;
  x2: number;
}

export interface Drop {
  node: string;
  network: string;
  device: string;
  x: number;
  y1: number;
  y2: number;
}

export const METRICS = {
  margin: 24,
  header: 58,
  boxWidth: 210,
  gap: 44,
  lineHeight: 16,
  boxPadding: 34,
  busGap: 46,
  firstBus: 50,
  dropSpread: 44,
} as const;

/** `arcSpace`: room kept above the row for the arrows of a path (0 for the plain topology). */
export function layoutGraph(graph: TopologyGraph, arcSpace = 0): Layout {
  const m = METRICS;
  const rowTop = m.header + arcSpace;
  const boxHeight = m.boxPadding + m.lineHeight * Math.max(...graph.nodes.map((n) => nodeDetails(n, graph).length));
  const nodes = new Map<string, Box>();
  const boxAt = (i: number) => ({ x: m.margin + i * (m.boxWidth + m.gap), y: rowTop, width: m.boxWidth, height: boxHeight });
  graph.nodes.forEach((n, i) => nodes.set(n.name, boxAt(i)));

  const rowBottom = rowTop + boxHeight;
  const busY = (i: number) => rowBottom + m.firstBus + i * m.busGap;
  const drops: Drop[] = graph.nodes.flatMap((n) => {
    const box = nodes.get(n.name)!;
    const centre = box.x + box.width / 2;
    return n.interfaces.map((iface, k) => ({
      node: n.name,
      network: iface.network,
      device: iface.device,
      x: centre + (k - (n.interfaces.length - 1) / 2) * m.dropSpread,
      y1: rowBottom,
      y2: busY(graph.networks.findIndex((net) => net.name === iface.network)),
    }));
  });
  const buses = graph.networks.map((net, i) => {
    const xs = drops.filter((d) => d.network === net.name).map((d) => d.x);
    // From its first to its last member, long enough for its label, which sits under the line.
    const x1 = (xs.length ? Math.min(...xs) : m.margin + m.boxWidth / 2) - 20;
    return { network: net.name, y: busY(i), x1, x2: Math.max(...xs.map((x) => x + 20), x1 + m.boxWidth) };
  });
  const width = m.margin * 2 + graph.nodes.length * m.boxWidth + (graph.nodes.length - 1) * m.gap;
  return { width, height: busY(graph.networks.length - 1) + m.margin + 10, nodes, buses, drops, rowTop };
}
