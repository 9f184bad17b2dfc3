import {
  clients,
  director,
  forwardingOf,
  nodeInterfaces,
  realServers,
  serverPort,
  serviceNodes,
  vipInterface,
} from '../scenario/model.js';
import type { Forwarding, Scenario, ScenarioNode } from '../scenario/schema.js';

/** What a picture of a lab shows, derived once from the scenario; every renderer (SVG, Mermaid) draws this. */
export interface TopologyGraph {
  name: string;
  title: string;
  /** `172.20.1.100:80 tcp, scheduler rr, DR`: the virtual service in one line. */
  service: string;
  vip: string;
  networks: GraphNetwork[];
  /** Clients first, then the director, then the real servers, then what they use: the order a request travels. */
  nodes: GraphNode[];
}

export interface GraphNetwork {
  name: string;
  subnet: string;
  internal: boolean;
}

export interface GraphInterface {
  network: string;
  device: string;
  address: string;
}

export type GraphRole = 'client' | 'director' | 'real-server' | 'service';

export interface GraphNode {
  name: string;
  role: GraphRole;
  interfaces: GraphInterface[];
  /** The device holding the VIP (`eth0:1` on the director, `lo`/`tunl0` on DR/TUN real servers); none on NAT servers, clients. */
  vipDevice?: string;
  /** Real servers: `-w`, the method (`-g`/`-m`/`-i`) and the port the web server listens on. */
  weight?: number;
  forwarding?: Forwarding;
  port?: number;
}

const ROLE_ORDER: Record<GraphRole, number> = { client: 0, director: 1, 'real-server': 2, service: 3 };
const FLAG: Record<Forwarding, string> = { dr: '-g', nat: '-m', tun: '-i' };

/** `DR (-g)`: a forwarding method as ipvsadm's users know it. */
export const forwardingLabel = (method: Forwarding) => `${method.toUpperCase()} (${FLAG[method]})`;

export function topologyGraph(scenario: Scenario): TopologyGraph {
  const { vip, port, protocol, scheduler, persistence } = scenario.service;
  const persistent = persistence ? `, persistent ${persistence}s` : '';
  const methods = [...new Set(realServers(scenario).map((rs) => forwardingOf(scenario, rs).toUpperCase()))];
  const members = [...clients(scenario), director(scenario), ...realServers(scenario), ...serviceNodes(scenario)];
  const nodes = members.map((n) => graphNode(scenario, n));
  nodes.sort((a, b) => ROLE_ORDER[a.role] - ROLE_ORDER[b.role]);
  return {
    name: scenario.name,
    title: scenario.title,
    service: `${vip}:${port} ${protocol}, scheduler ${scheduler}${persistent}, ${methods.join('+')}`,
    vip,
    networks: scenario.networks.map(({ name, subnet, internal }) => ({ name, subnet, internal })),
    nodes,
  };
}

function graphNode(scenario: Scenario, node: ScenarioNode): GraphNode {
  const interfaces = nodeInterfaces(scenario, node).map(({ network, device, address }) => ({ network, device, address }));
  const base = { name: node.name, role: node.role, interfaces };
  if (node.role === 'director') {
    const vipIf = vipInterface(scenario);
    return { ...base, vipDevice: node.vipLabel ?? `${vipIf.device}:1` };
  }
  if (node.role === 'real-server') {
    const method = forwardingOf(scenario, node);
    const vipDevice = method === 'dr' ? 'lo' : method === 'tun' ? 'tunl0' : undefined;
    const vip = vipDevice ? { vipDevice } : {};
    return { ...base, ...vip, weight: node.weight, forwarding: method, port: serverPort(scenario, node) };
  }
  return base;
}

/** The lines a node's box shows under its name, in the order a student reads them. */
export function nodeDetails(node: GraphNode, graph: TopologyGraph): string[] {
  return [...node.interfaces.map((i) => `${i.device} ${i.address}`), ...roleDetails(node, graph)];
}

/** What the node's role adds: where it holds the VIP, and a real server's method, weight and port. */
export function roleDetails(node: GraphNode, graph: TopologyGraph): string[] {
  const lines: string[] = [];
  if (node.vipDevice) lines.push(`VIP ${graph.vip} on ${node.vipDevice}`);
  if (node.forwarding) lines.push(`${forwardingLabel(node.forwarding)}, weight ${node.weight}, :${node.port}`);
  return lines;
}

export const ROLE_LABEL: Record<GraphRole, string> = {
  client: 'client',
  director: 'director',
  'real-server': 'real server',
  service: 'service',
};
