import type { IpvsCounters } from '../lvs/counters.js';
import type { Connection, ServiceStats } from '../lvs/parse.js';
import type { Packet } from './packets.js';

/**
 * The evidence verify gathers and its checks judge: the lab's addresses, each node's packets, the
 * director's tables, and what each forwarding method needs besides. Plain data: gather.ts collects it,
 * the checks (dr.ts, forwarding.ts) read it.
 */

/** A node as the packet checks see it: its address and MAC on the network the traffic crosses. */
export interface Endpoint {
  name: string;
  ip: string;
  mac: string;
  /** Every MAC the node has, one per network (NAT's director has two): names the MACs of any capture. */
  macs?: string[] | undefined;
}

/** A real server also has the port it serves on (NAT may map the VIP's port to another). */
export type RealServerEndpoint = Endpoint & { port: number };

export interface Topology {
  vip: string;
  port: number;
  /** The client whose ARP and packets are sampled. */
  client: Endpoint;
  /** Every client's address: a real server may see any of them as the source. */
  clientIps: string[];
  director: Endpoint;
  realServers: RealServerEndpoint[];
}

/** Each node's packets, captured while the requests went by. */
export interface Captures {
  client: Packet[];
  director: Packet[];
  realServers: Record<string, Packet[]>;
}

/** The director's IPVS counters around the requests, and its tables after them as ipvsadm printed them. */
export interface DirectorTables {
  /** READ_COUNTERS just before the requests and just after (undefined: unreadable). */
  counters: { command: string; before: IpvsCounters | undefined; after: IpvsCounters | undefined };
  stats: { command: string; output: string; services: ServiceStats[] };
  connections: { command: string; output: string; entries: Connection[] };
}

/** NAT: a real server's route back to the client (`ip route get`), and the director address it must go via. */
export interface NatRoute {
  server: string;
  via: string;
  routeGet: string;
}

/** What one forwarding method's checks need besides the captures. */
export type MethodFacts = DrFacts | NatFacts | { method: 'tun' };

export interface DrFacts {
  method: 'dr';
  /** The MACs that answered ARP for the VIP, before the requests. */
  arpReplies: string[];
  /** The director's own TCP sockets on the VIP and port, after them. */
  directorSockets: string[];
}

export interface NatFacts {
  method: 'nat';
  routes: NatRoute[];
}

/** Everything the forwarding-method checks judge. */
export interface PacketEvidence {
  topo: Topology;
  captures: Captures;
  facts: MethodFacts;
}

export function nameOfMac(topo: Topology, mac: string): string {
  return [topo.client, topo.director, ...topo.realServers].find((e) => e.mac === mac || e.macs?.includes(mac))?.name ?? mac;
}

export function nameOfIp(topo: Topology, ip: string): string {
  if (ip === topo.vip) return 'VIP';
  return [topo.client, topo.director, ...topo.realServers].find((e) => e.ip === ip)?.name ?? ip;
}
