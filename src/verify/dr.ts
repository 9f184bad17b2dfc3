import type { Connection } from '../lvs/parse.js';
import { nameOfIp, nameOfMac, type Captures, type RealServerEndpoint, type Topology } from './evidence.js';
import type { Packet } from './packets.js';
import type { CheckResult } from './types.js';

const isSyn = (p: Packet) => p.flags === 'S';
const isSynAck = (p: Packet) => p.flags === 'S.';

/** Seed 004 §7: only the director may answer ARP for the VIP, or clients bypass it. */
export function checkArpOwnership(topo: Topology, replyMacs: string[]): CheckResult {
  const base = { id: 'arp', title: `ARP for the VIP ${topo.vip} answered by the director only` };
  const from = `arping from ${topo.client.name}`;
  if (replyMacs.length === 1 && replyMacs[0] === topo.director.mac) {
    return { ...base, status: 'pass', summary: `${from}: one answer, ${topo.director.name} (${topo.director.mac}).` };
  }
  if (replyMacs.length === 0) {
    return {
      ...base, status: 'fail', summary: `${from}: nobody answered for ${topo.vip}.`,
      diagnosis: `The director has no VIP on its interface: \`lab exec ${topo.director.name} -- ip addr\` ` +
        `should show ${topo.vip} (label eth0:1).`,
    };
  }
  const servers = topo.realServers.filter((rs) => replyMacs.includes(rs.mac)).map((rs) => rs.name);
  return {
    ...base,
    status: 'fail',
    summary: `${from}: answered by ${replyMacs.map((mac) => nameOfMac(topo, mac)).join(', ')}.`,
    diagnosis: servers.length
      ? `${servers.join(' and ')} answer${servers.length === 1 ? 's' : ''} ARP for the VIP, ` +
        'so clients can send to a real server directly and bypass the director (seed 004 §7). ' +
        'Their arp_ignore/arp_announce are not set: ' +
        'run `sysctl -w net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2` (and on lo) on each, ' +
        'before the VIP goes on lo.'
      : 'Something other than the director answers ARP for the VIP: another host owns that address on this network.',
  };
}

/** What is wrong with one SYN a real server got, for direct routing (nothing: an empty list). */
function requestProblems(topo: Topology, rs: RealServerEndpoint, p: Packet): string[] {
  const problems: string[] = [];
  if (!topo.clientIps.includes(p.srcIp)) {
    problems.push(`${rs.name} got a request from ${p.srcIp}, not from a client's own address (source rewritten)`);
  }
  if (p.srcMac !== topo.director.mac) {
    problems.push(`${rs.name} got a request from MAC ${nameOfMac(topo, p.srcMac)}, not from the director`);
  }
  if (p.dstMac !== rs.mac) problems.push(`${rs.name} got a request for MAC ${nameOfMac(topo, p.dstMac)}`);
  return problems;
}

/** The director rewrote only the destination MAC: the real server sees the client's own IP and the VIP. */
export function checkRequestPath(topo: Topology, captures: Captures): CheckResult {
  const base = { id: 'request-path', title: 'Request path: director -> real server, only the destination MAC rewritten' };
  const toVip = (p: Packet) => isSyn(p) && p.dstIp === topo.vip && p.dstPort === topo.port;
  const synsAt = (rs: RealServerEndpoint) => (captures.realServers[rs.name] ?? []).filter(toVip).map((p) => ({ rs, p }));
  const syns = topo.realServers.flatMap(synsAt);
  const problems = syns.flatMap(({ rs, p }) => requestProblems(topo, rs, p));
  if (syns.length === 0) {
    return {
      ...base, status: 'fail', summary: 'No real server saw a request addressed to the VIP.',
      diagnosis: 'The requests never reached a real server with the VIP as destination: ' +
        'check `ipvsadm -Ln` on the director (Forward = Route) and that the VIP is on each real server\'s lo.',
    };
  }
  if (problems.length === 0) {
    return {
      ...base, status: 'pass',
      summary: `${syns.length} SYNs on the real servers: source the client's own address (unchanged), ` +
        `destination the VIP, source MAC ${topo.director.name}, destination MAC the real server.`,
    };
  }
  return {
    ...base, status: 'fail', summary: [...new Set(problems)].slice(0, 3).join('; ') + '.',
    diagnosis: problems.some((p) => p.includes('not from the director'))
      ? 'The client reached a real server without the director: a real server answers ARP for the VIP (see the ARP check).'
      : 'This is not direct routing: the director rewrites addresses (NAT?). Check the real servers are added with -g.',
  };
}

/** The reply goes from the real server straight to the client; the director never sends one. */
export function checkReturnPath(topo: Topology, captures: Captures): CheckResult {
  const base = { id: 'return-path', title: 'Return path: real server -> client directly, never through the director' };
  const fromDirector = captures.director.filter((p) => p.srcIp === topo.vip && p.srcPort === topo.port);
  const replies = captures.client.filter((p) => isSynAck(p) && p.srcIp === topo.vip && p.srcPort === topo.port);
  const rsMacs = new Set(topo.realServers.map((r) => r.mac));
  const notFromRs = replies.filter((p) => !rsMacs.has(p.srcMac));
  const macNames = (ps: Packet[]) => [...new Set(ps.map((p) => nameOfMac(topo, p.srcMac)))].join(', ');
  if (fromDirector.length === 0 && replies.length > 0 && notFromRs.length === 0) {
    return {
      ...base, status: 'pass',
      summary: `the director sent no packet from ${topo.vip}:${topo.port}; ` +
        `the client's ${replies.length} SYN-ACKs came from the VIP with the MAC of ${macNames(replies)}.`,
    };
  }
  if (replies.length === 0) {
    const diagnosis = 'See the request path check: the requests did not get through.';
    return { ...base, status: 'fail', summary: 'The client received no reply from the VIP.', diagnosis };
  }
  return {
    ...base, status: 'fail',
    summary: `${fromDirector.length} reply packets left the director; ` +
      `${notFromRs.length} of the client's replies came from MAC ${macNames(notFromRs)}.`,
    diagnosis: 'Replies pass through the director, which is NAT behaviour, not DR: ' +
      'real servers must be added with -g and answer from the VIP on their lo.',
  };
}

/** Seed 000's observation: the director forwards at layer 4 and holds no TCP connection itself. */
export function checkNoDirectorEndpoint(topo: Topology, directorSockets: string[], connections: Connection[]): CheckResult {
  const base = { id: 'director-no-endpoint', title: 'No TCP endpoint on the director, while IPVS tracks the connections' };
  const tracked = connections.filter((c) => c.virtual.address === topo.vip && c.virtual.port === topo.port);
  if (directorSockets.length === 0 && tracked.length > 0) {
    const summary = `netstat on ${topo.director.name} shows no socket on ${topo.vip}:${topo.port}; ` +
      `ipvsadm -Lnc lists ${tracked.length} connections.`;
    return { ...base, status: 'pass', summary };
  }
  const listening = directorSockets.length > 0;
  return {
    ...base, status: 'fail',
    summary: listening
      ? `the director has sockets on the VIP: ${directorSockets[0]!.trim()}`
      : 'ipvsadm -Lnc lists no connection for the VIP.',
    diagnosis: listening
      ? 'Something on the director listens on the VIP and answers itself: ' +
        'stop that service; IPVS must forward, not terminate.'
      : 'The connections did not go through IPVS: the client may be reaching the real servers directly (ARP), ' +
        'or the virtual service is missing.',
  };
}

export interface Hop {
  hop: number;
  path: string;
  srcMac: string;
  dstMac: string;
  srcIp: string;
  dstIp: string;
  /** TUN: the IPIP header around the packet (director -> real server), node names in parentheses. */
  outerSrcIp?: string;
  outerDstIp?: string;
}

/** The client's source port of each connection it opened to the VIP, in the order it opened them. */
export function clientPorts(topo: Topology, captures: Captures): number[] {
  const syns = captures.client.filter((p) => isSyn(p) && p.dstIp === topo.vip).sort((a, b) => a.time - b.time);
  return [...new Set(syns.map((p) => p.srcPort))];
}

/** The client's SYN that opened a connection: the one from CLIENTPORT, or the first. */
export function openingSyn(topo: Topology, captures: Captures, clientPort?: number): Packet | undefined {
  return captures.client.find((p) => isSyn(p) && p.dstIp === topo.vip && (clientPort === undefined || p.srcPort === clientPort));
}

/** One row of a hop table: the packet's MACs and IPs (and IPIP header), each with its node's name. */
export function hopRow(topo: Topology, hop: number, path: string, p: Packet): Hop {
  return {
    hop, path,
    srcMac: `${p.srcMac} (${nameOfMac(topo, p.srcMac)})`, dstMac: `${p.dstMac} (${nameOfMac(topo, p.dstMac)})`,
    srcIp: `${p.srcIp} (${nameOfIp(topo, p.srcIp)})`, dstIp: `${p.dstIp} (${nameOfIp(topo, p.dstIp)})`,
    ...(p.outer ? { outerSrcIp: `${p.outer.srcIp} (${nameOfIp(topo, p.outer.srcIp)})`, outerDstIp: `${p.outer.dstIp} (${nameOfIp(topo, p.outer.dstIp)})` } : {}),
  };
}

/**
 * Seed 004's table for one connection (the first, or the one from CLIENTPORT): each hop's MACs and IPs, with
 * node names beside them. DR and TUN: client -> director -> real server, the reply straight back (TUN's
 * second hop inside IPIP, its outer header kept).
 */
export function hopTable(topo: Topology, captures: Captures, clientPort?: number): Hop[] | undefined {
  const syn = openingSyn(topo, captures, clientPort);
  if (!syn) return undefined;
  const atRs = Object.entries(captures.realServers).flatMap(([name, ps]) => ps.filter((p) => isSyn(p) && p.srcPort === syn.srcPort).map((p) => ({ name, p })))[0];
  const reply = captures.client.find((p) => isSynAck(p) && p.dstPort === syn.srcPort);
  const hops = [hopRow(topo, 1, `${topo.client.name} -> ${nameOfMac(topo, syn.dstMac)}`, syn)];
  if (atRs) hops.push(hopRow(topo, 2, `${nameOfMac(topo, atRs.p.srcMac)} -> ${atRs.name}`, atRs.p));
  if (reply) hops.push(hopRow(topo, hops.length + 1, `${nameOfMac(topo, reply.srcMac)} -> ${topo.client.name}`, reply));
  return hops;
}

export function formatHopTable(hops: Hop[]): string {
  const header: Hop = { hop: 0, path: 'path', srcMac: 'src MAC', dstMac: 'dst MAC', srcIp: 'src IP', dstIp: 'dst IP', outerSrcIp: 'IPIP src', outerDstIp: 'IPIP dst' };
  const tunnelled = hops.some((h) => h.outerSrcIp);
  const cols: Array<keyof Hop> = ['path', 'srcMac', 'dstMac', ...(tunnelled ? (['outerSrcIp', 'outerDstIp'] as const) : []), 'srcIp', 'dstIp'];
  const widths = cols.map((c) => Math.max(...[header, ...hops].map((h) => String(h[c] ?? '').length)));
  const line = (h: Hop, label: string) => `  ${label.padEnd(4)}${cols.map((c, i) => String(h[c] ?? '').padEnd(widths[i]!)).join('  ')}`;
  return [line(header, 'hop'), ...hops.map((h) => line(h, String(h.hop)))].join('\n');
}
