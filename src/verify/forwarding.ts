import { countedDuring, describeCounts } from '../lvs/counters.js';
import { hopRow, hopTable, openingSyn, type Hop } from './dr.js';
import { nameOfMac, type Captures, type DirectorTables, type NatRoute, type Topology } from './evidence.js';
import type { Packet } from './packets.js';
import type { CheckResult } from './types.js';

/**
 * Who carries the replies, from the director's own counters during the requests: NAT must, DR and TUN must not.
 * The virtual service must exist (`--stats` lists it at once; only its counters wait for the fold).
 */
export function checkDirectorReplies(method: 'dr' | 'nat' | 'tun', topo: Topology, tables: DirectorTables): CheckResult {
  const service = tables.stats.services.find((s) => s.address === topo.vip && s.port === topo.port);
  const { command } = tables.counters;
  const during = countedDuring(tables.counters);
  const mustCarry = method === 'nat';
  const base = {
    id: 'director-replies',
    title: mustCarry
      ? 'Replies pass through the director (NAT): OutPkts > 0'
      : `The director carries no replies (${method.toUpperCase()}): OutPkts 0`,
  };
  if (!service) {
    const summary = `ipvsadm --stats has no service ${topo.vip}:${topo.port}.`;
    const diagnosis = 'The virtual service is missing on the director: `ipvsadm -Ln`.';
    return { ...base, status: 'fail', summary, diagnosis };
  }
  if (!during) {
    const summary = `\`${command}\` on ${topo.director.name} gave no counters, so lab does not claim who carried the replies.`;
    return { ...base, status: 'not-checked', summary };
  }
  const summary = `IPVS on ${topo.director.name} during the requests (${command}): ${describeCounts(during)}.`;
  if (mustCarry ? during.outPkts > 0 : during.outPkts === 0) return { ...base, status: 'pass', summary };
  return {
    ...base, status: 'fail', summary,
    diagnosis: mustCarry
      ? 'The replies bypass the director, so they reach the client from the real server\'s own address ' +
        'and are dropped: make the director the real servers\' gateway (route default via the DIP).'
      : 'Replies go back through the director: the real servers answer from their own address instead of the VIP. ' +
        'Check the VIP is on lo (DR) or tunl0 (TUN) of each real server.',
  };
}

/** NAT: the real server sees the client's own address (only the destination is rewritten), on its mapped port. */
export function checkNatRewrite(topo: Topology, captures: Captures): CheckResult {
  const title = 'NAT: destination rewritten to the real server (and its port), source kept, reply rewritten back';
  const base = { id: 'nat-rewrite', title };
  const problems: string[] = [];
  const seen: string[] = [];
  for (const rs of topo.realServers) {
    const syns = (captures.realServers[rs.name] ?? []).filter((p) => p.flags === 'S');
    if (syns.length === 0) continue;
    const rewritten = (p: Packet) => topo.clientIps.includes(p.srcIp) && p.dstIp === rs.ip && p.dstPort === rs.port;
    const wrong = syns.filter((p) => !rewritten(p)).length;
    if (wrong > 0) {
      problems.push(`${rs.name} saw ${wrong} requests not addressed to ${rs.ip}:${rs.port} from a client's own address`);
    }
    else seen.push(`${rs.name} ${rs.ip}:${rs.port}`);
  }
  const fromVip = `${topo.vip}:${topo.port}`;
  const isReply = (p: Packet) =>
    p.srcIp === topo.vip && p.srcPort === topo.port && topo.clientIps.includes(p.dstIp) && p.flags === 'S.';
  const rewrittenBack = captures.director.filter(isReply);
  if (seen.length === 0 && problems.length === 0) problems.push('no real server saw a request');
  if (rewrittenBack.length === 0) problems.push(`the director sent no reply from ${fromVip} to the client`);
  if (problems.length === 0) {
    const summary = `requests reached ${seen.join(', ')} from the client's own address; ` +
      `${rewrittenBack.length} replies left the director as ${fromVip}.`;
    return { ...base, status: 'pass', summary };
  }
  return {
    ...base, status: 'fail', summary: `${problems.join('; ')}.`,
    diagnosis: 'Check the real servers are added with -m (Masq in `ipvsadm -Ln`), with the right port, ' +
      'and that their default route points at the director.',
  };
}

/** TUN: each request reaches the real server inside IPIP (protocol 4) from the director, the VIP inside. */
export function checkTunnel(topo: Topology, captures: Captures): CheckResult {
  const base = { id: 'tun-ipip', title: 'TUN: requests arrive inside IPIP from the director, the VIP inside' };
  let wrapped = 0;
  const problems: string[] = [];
  for (const rs of topo.realServers) {
    for (const p of (captures.realServers[rs.name] ?? []).filter((x) => x.flags === 'S' && x.dstIp === topo.vip)) {
      const how = p.outer ? `wrapped ${p.outer.srcIp} > ${p.outer.dstIp}` : 'without an IPIP header';
      if (p.outer?.srcIp === topo.director.ip && p.outer.dstIp === rs.ip) wrapped++;
      else problems.push(`${rs.name} got a request ${how}`);
    }
  }
  if (wrapped > 0 && problems.length === 0) {
    const summary = `${wrapped} SYNs arrived as IPIP ${topo.director.ip} (${topo.director.name}) > real server, ` +
      `inner destination the VIP ${topo.vip}.`;
    return { ...base, status: 'pass', summary };
  }
  return {
    ...base, status: 'fail',
    summary: problems.length
      ? `${[...new Set(problems)].slice(0, 3).join('; ')}.`
      : 'No real server saw a tunnelled request.',
    diagnosis: 'Real servers must be added with -i (Tunnel in `ipvsadm -Ln`) and have tunl0 up with the VIP on it ' +
      '(ipip module loaded on the host).',
  };
}

/** NAT: each real server's route back to the client goes via the director, or replies skip the un-NAT. */
export function checkNatGateway(routes: NatRoute[]): CheckResult {
  const base = { id: 'nat-gateway', title: 'NAT: each real server routes replies via the director' };
  const firstLine = (r: NatRoute) => r.routeGet.split('\n')[0]!.trim();
  const wrong = routes.filter((r) => !new RegExp(`\\bvia ${r.via.replace(/\./g, '\\.')}\\b`).test(r.routeGet));
  if (wrong.length === 0) {
    return { ...base, status: 'pass', summary: routes.map((r) => `${r.server}: ${firstLine(r)}`).join('; ') };
  }
  const fixes = wrong.map((r) => `\`lab exec ${r.server} -- ip route replace default via ${r.via}\``);
  return {
    ...base, status: 'fail',
    summary: wrong.map((r) => `${r.server}: ${firstLine(r) || 'no route to the client'}`).join('; '),
    diagnosis: `${wrong.map((r) => r.server).join(', ')} ${wrong.length === 1 ? 'does' : 'do'} ` +
      'not use the director as gateway, ' +
      'so replies never get their source rewritten back to the VIP (seed 001: the RS gateway must be the DIP). ' +
      `Fix: ${fixes.join(', ')}.`,
  };
}

/**
 * NAT's four hops of one connection (the first, or the one from CLIENTPORT): client -> director, director ->
 * real server with the destination rewritten to the real server's address and port, the reply back to the
 * director, and from the director to the client with the VIP as its source again.
 */
export function natHops(topo: Topology, captures: Captures, clientPort?: number): Hop[] | undefined {
  const syn = openingSyn(topo, captures, clientPort);
  if (!syn) return undefined;
  const ofConnection = Object.entries(captures.realServers).flatMap(([name, ps]) => ps.map((p) => ({ name, p })));
  const atRs = ofConnection.find(({ p }) => p.flags === 'S' && p.srcIp === syn.srcIp && p.srcPort === syn.srcPort);
  const rsReply = ofConnection.find(({ p }) => p.flags === 'S.' && p.dstIp === syn.srcIp && p.dstPort === syn.srcPort);
  const reply = captures.client.find((p) => p.flags === 'S.' && p.dstPort === syn.srcPort);
  const hops = [hopRow(topo, 1, `${topo.client.name} -> ${nameOfMac(topo, syn.dstMac)}`, syn)];
  if (atRs) hops.push(hopRow(topo, hops.length + 1, `${nameOfMac(topo, atRs.p.srcMac)} -> ${atRs.name}`, atRs.p));
  if (rsReply) hops.push(hopRow(topo, hops.length + 1, `${rsReply.name} -> ${nameOfMac(topo, rsReply.p.dstMac)}`, rsReply.p));
  if (reply) hops.push(hopRow(topo, hops.length + 1, `${nameOfMac(topo, reply.srcMac)} -> ${topo.client.name}`, reply));
  return hops;
}

/** The hops of one connection as its forwarding method sends it (DR and TUN share the shape; TUN keeps the IPIP header). */
export function connectionHops(method: 'dr' | 'nat' | 'tun', topo: Topology, captures: Captures, clientPort?: number): Hop[] | undefined {
  return method === 'nat' ? natHops(topo, captures, clientPort) : hopTable(topo, captures, clientPort);
}
