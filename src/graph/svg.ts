import { layoutGraph, METRICS, type Box, type Layout } from './layout.js';
import { nodeDetails, ROLE_LABEL, type GraphNode, type TopologyGraph } from './model.js';

/** Text for XML and HTML, attributes included. */
export const escapeXml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

type Attributes = Record<string, string | number | undefined>;
/** ` name="value"` pairs in the given order; an undefined value leaves its attribute out. Values are not escaped here. */
const attributes = (attrs: Attributes) =>
  Object.entries(attrs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${v}"`)
    .join('');
/** The whole element with its content; without content, a self-closed one. */
const tag = (name: string, attrs: Attributes, content?: string) =>
  content === undefined ? `<${name}${attributes(attrs)}/>` : `<${name}${attributes(attrs)}>${content}</${name}>`;
/** An opening tag alone, for an element whose children follow on their own lines. */
const openTag = (name: string, attrs: Attributes) => `<${name}${attributes(attrs)}>`;

/** One arrow of a measured path, drawn above the row: a hop of verify's hop table. */
export interface PathArrow {
  hop: number;
  from: string;
  to: string;
  kind: 'request' | 'reply';
  /** Lines written at the arrow's top: the MACs and IPs of the packet. */
  label: string[];
}

const ROLE_FILL = { client: '#e8eef7', director: '#fdebd3', 'real-server': '#e3f1e1', service: '#efe8f5' } as const;
const ROLE_STROKE = { client: '#5b7bb0', director: '#c77a12', 'real-server': '#4a8f45', service: '#7a5b9e' } as const;
const ARROW_COLOUR = { request: '#1f5fbf', reply: '#c0392b' } as const;
const NETWORK_COLOURS = ['#6b5ca5', '#2a8c8c', '#a5596b', '#6b8c2a'];
const ARC_BASE = 30;
const ARC_SPAN_STEP = 12;
const LABEL_LINE = 13;
const LABEL_BAND = 3 * LABEL_LINE + 8;

/**
 * How high the n-th arrow rises: each one a label band above the one before, so no two labels overlap
 * however wide they are; longer arrows rise a little more.
 */
const arcHeight = (graph: TopologyGraph, arrow: PathArrow, index: number) =>
  ARC_BASE + index * LABEL_BAND + ARC_SPAN_STEP * (slotSpan(graph, arrow) - 1);

/** The room above the row that these arrows need, labels included. */
export function arcSpace(graph: TopologyGraph, arrows: PathArrow[]): number {
  if (arrows.length === 0) return 0;
  return Math.max(...arrows.map((a, i) => arcHeight(graph, a, i))) + LABEL_BAND + 6;
}

function slotSpan(graph: TopologyGraph, arrow: PathArrow): number {
  const slot = (name: string) => Math.max(0, graph.nodes.findIndex((n) => n.name === name));
  return Math.max(1, Math.abs(slot(arrow.from) - slot(arrow.to)));
}

/** The topology as a self-contained SVG (no fonts, images or scripts from elsewhere), with a path's arrows if given. */
export function renderSvg(graph: TopologyGraph, arrows: PathArrow[] = []): string {
  const layout = layoutGraph(graph, arcSpace(graph, arrows));
  const title = `${graph.name}: ${graph.title}`;
  const parts = [
    openTag('svg', {
      xmlns: 'http://www.w3.org/2000/svg',
      width: layout.width,
      height: layout.height,
      viewBox: `0 0 ${layout.width} ${layout.height}`,
      'font-family': 'DejaVu Sans, Helvetica, Arial, sans-serif',
      role: 'img',
      'aria-label': escapeXml(`Topology of ${graph.name}`),
    }),
    `<title>${escapeXml(title)}</title>`,
    defs(),
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    tag('text', { class: 'title', x: METRICS.margin, y: 26, 'font-size': 17, 'font-weight': 'bold' }, escapeXml(title)),
    `<text class="service" x="${METRICS.margin}" y="46" font-size="13" fill="#333">${escapeXml(`VIP ${graph.service}`)}</text>`,
    ...graph.networks.map((net, i) => networkSvg(graph, layout, net.name, i)),
    ...graph.nodes.map((n) => nodeSvg(graph, n, layout.nodes.get(n.name)!)),
    ...arrows.map((a, i) => arrowSvg(graph, layout, a, i)),
    '</svg>',
  ];
  return parts.join('\n');
}

function defs(): string {
  const head = { viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 8, markerHeight: 8, orient: 'auto-start-reverse' };
  const marker = (kind: keyof typeof ARROW_COLOUR) =>
    tag('marker', { id: `arrow-${kind}`, ...head }, tag('path', { d: 'M0,0 L10,5 L0,10 z', fill: ARROW_COLOUR[kind] }));
  return `<defs>${marker('request')}${marker('reply')}</defs>`;
}

function networkSvg(graph: TopologyGraph, layout: Layout, name: string, index: number): string {
  const net = graph.networks.find((n) => n.name === name)!;
  const bus = layout.buses.find((b) => b.network === name)!;
  const colour = NETWORK_COLOURS[index % NETWORK_COLOURS.length]!;
  const drops = layout.drops.filter((d) => d.network === name).map((d) => [
    `<line x1="${d.x}" y1="${d.y1}" x2="${d.x}" y2="${d.y2}" stroke="${colour}" stroke-width="2"/>`,
    `<circle cx="${d.x}" cy="${d.y2}" r="4" fill="${colour}"/>`,
    `<text x="${d.x + 4}" y="${d.y1 + 14}" font-size="11" fill="${colour}">${escapeXml(d.device)}</text>`,
  ].join(''));
  const label = `${net.name}  ${net.subnet}${net.internal ? '  (internal)' : ''}`;
  return [
    `<g class="network" data-network="${escapeXml(net.name)}" data-subnet="${escapeXml(net.subnet)}">`,
    tag('line', { x1: bus.x1, y1: bus.y, x2: bus.x2, y2: bus.y, stroke: colour, 'stroke-width': 5, 'stroke-linecap': 'round' }),
    ...drops,
    `<text x="${bus.x1}" y="${bus.y + 19}" font-size="13" font-weight="bold" fill="${colour}">${escapeXml(label)}</text>`,
    '</g>',
  ].join('\n');
}

function nodeSvg(graph: TopologyGraph, node: GraphNode, box: Box): string {
  const detailAt = (i: number) => ({ x: box.x + 10, y: box.y + 42 + i * METRICS.lineHeight });
  const detail = (line: string, i: number) => tag('text', { ...detailAt(i), 'font-size': 12, fill: '#222' }, escapeXml(line));
  const details = nodeDetails(node, graph).map(detail);
  const rect = { x: box.x, y: box.y, width: box.width, height: box.height };
  const roleAt = { x: box.x + box.width - 10, y: box.y + 20 };
  return [
    `<g class="node" data-node="${escapeXml(node.name)}" data-role="${node.role}">`,
    tag('rect', { ...rect, rx: 8, fill: ROLE_FILL[node.role], stroke: ROLE_STROKE[node.role], 'stroke-width': 2 }),
    `<text x="${box.x + 10}" y="${box.y + 20}" font-size="15" font-weight="bold">${escapeXml(node.name)}</text>`,
    tag('text', { ...roleAt, 'font-size': 11, 'text-anchor': 'end', fill: ROLE_STROKE[node.role] }, ROLE_LABEL[node.role]),
    ...details,
    '</g>',
  ].join('\n');
}

/** A white outline behind an arc's label, so it reads over the lines it crosses. */
const LABEL_HALO = { stroke: '#ffffff', 'stroke-width': 3, 'paint-order': 'stroke' };

/** A curve from the top of one box to the top of another, its label at the top of the curve. */
function arrowSvg(graph: TopologyGraph, layout: Layout, arrow: PathArrow, index: number): string {
  const from = layout.nodes.get(arrow.from);
  const to = layout.nodes.get(arrow.to);
  if (!from || !to) return '';
  // Requests leave left of centre, replies right of it, so the two never share an end.
  const side = arrow.kind === 'request' ? -1 : 1;
  const x1 = from.x + from.width / 2 + side * 14 + (index % 2) * 6;
  const x2 = to.x + to.width / 2 + side * 14 - (index % 2) * 6;
  const y = layout.rowTop - 2;
  const h = arcHeight(graph, arrow, index);
  const mid = (x1 + x2) / 2;
  const colour = ARROW_COLOUR[arrow.kind];
  const label = [`${arrow.hop}. ${arrow.kind}: ${arrow.from} -> ${arrow.to}`, ...arrow.label].map(
    (line, i, all) =>
      tag(
        'text',
        {
          x: mid,
          y: y - h - 6 - (all.length - 1 - i) * LABEL_LINE,
          'font-size': 11,
          'text-anchor': 'middle',
          fill: colour,
          ...LABEL_HALO,
          'font-weight': i === 0 ? 'bold' : undefined,
        },
        escapeXml(line),
      ),
  );
  const hop = { class: 'hop', 'data-hop': arrow.hop, 'data-from': escapeXml(arrow.from), 'data-to': escapeXml(arrow.to) };
  const curve = { d: `M${x1},${y} Q${mid},${y - 2 * h} ${x2},${y}`, fill: 'none', stroke: colour, 'stroke-width': 2.5 };
  const dashes = arrow.kind === 'reply' ? '7 4' : undefined;
  return [
    openTag('g', { ...hop, 'data-kind': arrow.kind }),
    tag('path', { ...curve, 'marker-end': `url(#arrow-${arrow.kind})`, 'stroke-dasharray': dashes }),
    ...label,
    '</g>',
  ].join('\n');
}
