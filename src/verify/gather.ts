import type { RunningLab } from '../lab/find.js';
import { LABEL } from '../labels.js';
import { awaitFold, parseCounters, READ_COUNTERS, type IpvsCounters } from '../lvs/counters.js';
import { LIST_CONNECTIONS, LIST_STATS } from '../lvs/ipvsadm.js';
import { parseConnections, parseStats } from '../lvs/parse.js';
import type { DockerRuntime } from '../runtime/docker.js';
import {
  addressOn, clients, director, nodeInterfaces, realServerInterface, realServers, serverPort, vipInterface,
} from '../scenario/model.js';
import type { Forwarding, RealServerNode, Scenario, ScenarioNode } from '../scenario/schema.js';
import {
  captureOn, copyCapture, execSections, sortCaptures, startCapture, stopCapture, type Capture,
} from './capture.js';
import type { DirectorTables, MethodFacts, NatRoute, PacketEvidence, Topology } from './evidence.js';
import { parseArpingReplies, tcpSocketsOn } from './packets.js';

/**
 * Evidence gathering around the requests: what has to be watched from before the first one (ARP, the
 * captures), and what is read after the last (the director's tables, the packets, each method's facts).
 * Requests themselves: requests.ts, sent per scheduler by traffic.ts.
 */

// IPVS folds its per-CPU counters into `--stats` every 2 s (the rate estimator). The checks read the counters
// themselves (READ_COUNTERS), at once; only a page that shows `--stats` per real server waits for the fold.
const FOLD_LIMIT_MS = 2200;

/** Started before the requests, finished after them. */
export interface Watch {
  method: Forwarding;
  topo: Topology;
  captures: Capture[];
  /** IPVS's counters before the requests (undefined: unreadable). */
  countersBefore: IpvsCounters | undefined;
}

/** The lab's addresses and MACs on the networks its traffic crosses, with node names. */
export function topology(scenario: Scenario, lab: RunningLab): Topology {
  const vipNet = vipInterface(scenario).network;
  const endpoint = (node: ScenarioNode, network: string) => {
    const container = lab.containers.find((c) => c.labels[LABEL.node] === node.name);
    const macs = Object.values(container?.macs ?? {});
    return { name: node.name, ip: addressOn(scenario, node, network) ?? '', mac: container?.macs[network] ?? '', macs };
  };
  const realServer = (rs: RealServerNode) =>
    ({ ...endpoint(rs, realServerInterface(scenario, rs).network), port: serverPort(scenario, rs) });
  return {
    vip: scenario.service.vip,
    port: scenario.service.port,
    client: endpoint(clients(scenario)[0]!, vipNet),
    clientIps: clients(scenario).map((c) => addressOn(scenario, c, vipNet) ?? ''),
    director: endpoint(director(scenario), vipNet),
    realServers: realServers(scenario).map(realServer),
  };
}

/**
 * Before the requests: tcpdump on every node (it listens for TCP only, so it does not see the ARP), then, in
 * the same exec once it listens, IPVS's counters on the director and (DR) on the client an arping for the VIP,
 * left listening for answers while the requests go (finishWatch reads who answered).
 */
export async function startWatch(runtime: DockerRuntime, lab: RunningLab, method: Forwarding): Promise<Watch> {
  const { scenario } = lab;
  const captures = capturesFor(scenario, method);
  const [client, dir] = [clients(scenario)[0]!.name, director(scenario).name];
  const after = (c: Capture) =>
    c.node === dir ? [READ_COUNTERS.join(' ')] : c.node === client && method === 'dr' ? [arpingStart(scenario)] : [];
  const outputs = await Promise.all(captures.map((c) => startCapture(runtime, c, after(c))));
  const of = (node: string) => outputsOn(node, captures, outputs)[0] ?? '';
  return { method, topo: topology(scenario, lab), captures, countersBefore: parseCounters(of(dir)) };
}

/**
 * After the requests: each node's packets, the director's counters and tables (tableSections) and the method's
 * facts, one exec per node: the capture stopped, then what that node must tell besides.
 */
export async function finishWatch(
  runtime: DockerRuntime, scenario: Scenario, watch: Watch, folded: boolean,
): Promise<{ packets: PacketEvidence; tables: DirectorTables }> {
  const dir = director(scenario).name;
  const sections = tableSections(folded);
  const dr = watch.method === 'dr';
  const routeBack = watch.method === 'nat' ? [`ip route get ${watch.topo.client.ip}`] : [];
  const servers = new Set(realServers(scenario).map((rs) => rs.name));
  const client = clients(scenario)[0]!.name;
  const after = (c: Capture) => c.node === dir ? [...sections, ...(dr ? ['netstat -nat'] : [])]
    : servers.has(c.node) ? routeBack : c.node === client && dr ? [ARPING_RESULT] : [];
  const outputs = await Promise.all(watch.captures.map((c) => stopCapture(runtime, c, after(c))));
  const of = (node: string) => outputsOn(node, watch.captures, outputs);
  const captures = sortCaptures(scenario, watch.captures, outputs.map((o) => o[0]!));
  const [counters = '', stats = '', connections = '', netstat = ''] = of(dir).slice(1);
  const { vip, port } = scenario.service;
  const facts: MethodFacts = dr
    ? { method: 'dr', arpReplies: parseArpingReplies(of(client)[1] ?? ''), directorSockets: tcpSocketsOn(netstat, vip, port) }
    : watch.method === 'nat' ? { method: 'nat', routes: natRoutes(scenario, (rs) => of(rs.name)[1] ?? '') } : { method: 'tun' };
  const tables = parseTables(watch.countersBefore, [counters, stats, connections]);
  return { packets: { topo: watch.topo, captures, facts }, tables };
}

/** The outputs of the exec on NODE (the one its capture ran in); none for a node without a capture. */
function outputsOn(node: string, captures: Capture[], outputs: string[][]): string[] {
  return outputs[captures.findIndex((c) => c.node === node)] ?? [];
}

/** IPVS's counters on the director now (undefined: unreadable). */
export async function readCounters(runtime: DockerRuntime, scenario: Scenario): Promise<IpvsCounters | undefined> {
  return parseCounters((await runtime.exec(director(scenario).name, READ_COUNTERS)).stdout);
}

/** The director's counters, `--stats` and `-Lnc` in one exec (tableSections), beside the counters from before. */
export async function readDirectorTables(
  runtime: DockerRuntime, scenario: Scenario, countersBefore: IpvsCounters | undefined, folded: boolean,
): Promise<DirectorTables> {
  const { outputs } = await execSections(runtime, director(scenario).name, tableSections(folded));
  return parseTables(countersBefore, outputs);
}

/** The counters first (they count at once), then `--stats`, FOLDED: once IPVS has folded them in; then `-Lnc`. */
function tableSections(folded: boolean): string[] {
  const stats = LIST_STATS.join(' ');
  return [READ_COUNTERS.join(' '), folded ? `${awaitFold(FOLD_LIMIT_MS)}; ${stats}` : stats, LIST_CONNECTIONS.join(' ')];
}

function parseTables(before: IpvsCounters | undefined, [counters = '', stats = '', connections = '']: string[]): DirectorTables {
  return {
    counters: { command: READ_COUNTERS.join(' '), before, after: parseCounters(counters) },
    stats: { command: LIST_STATS.join(' '), output: stats, services: parseStats(stats) },
    connections: { command: LIST_CONNECTIONS.join(' '), output: connections, entries: parseConnections(connections) },
  };
}

/** Copies the watch's .pcap files to DIR on this host. */
export async function keepCaptures(runtime: DockerRuntime, watch: Watch, dir: string): Promise<string[]> {
  return Promise.all(watch.captures.map((c) => copyCapture(runtime, c, dir)));
}

const ARPING_OUT = '/tmp/lab-arping.out';
// arping asks once a second until stopped (or its 30 s deadline): a reply that comes late on a loaded machine still
// counts. It is stopped once it has listened a second (every host that answers a request answers at once) and
// heard a reply, or after 3 s without one (nobody answers). The mark that a second went by is a file made non-empty
// (emptied by the shell itself: a rm is a process).
const ARPING_LISTENED = `${ARPING_OUT}.listened`;
const ARPING_RESULT = `i=0; until [ -s ${ARPING_LISTENED} ] && has 'reply from' ${ARPING_OUT} || [ $i -ge 60 ]; ` +
  `do sleep 0.05; i=$((i + 1)); done; read p <${ARPING_OUT}.pid; interrupt $p; cat ${ARPING_OUT}`;

/** ARP requests for the VIP from the client, in the background while the requests go (ARPING_RESULT reads who answered). */
function arpingStart(scenario: Scenario): string {
  const device = deviceOn(scenario, clients(scenario)[0]!, vipInterface(scenario).network);
  return `: >${ARPING_LISTENED}; (sleep 1; echo yes >${ARPING_LISTENED}) >/dev/null 2>&1 & ` +
    `arping -w 30 -I ${device} ${scenario.service.vip} >${ARPING_OUT} 2>&1 & echo $! >${ARPING_OUT}.pid`;
}

/** NAT: each real server's route back to the client (its ROUTEGET output), beside the director's address on its network. */
function natRoutes(scenario: Scenario, routeGet: (rs: RealServerNode) => string): NatRoute[] {
  const dir = director(scenario);
  return realServers(scenario).map((rs) => {
    const via = addressOn(scenario, dir, realServerInterface(scenario, rs).network) ?? '?';
    return { server: rs.name, via, routeGet: routeGet(rs) };
  });
}

/** Starts capturesFor's captures, all at once, with nothing else in their execs (`lab ui`, the bench). */
export async function startCaptures(runtime: DockerRuntime, scenario: Scenario, method: Forwarding): Promise<Capture[]> {
  const captures = capturesFor(scenario, method);
  await Promise.all(captures.map((c) => startCapture(runtime, c)));
  return captures;
}

/** The captures on the sampled client, the director and every real server, each filtered to the lab's traffic. */
function capturesFor(scenario: Scenario, method: Forwarding): Capture[] {
  const { vip, port } = scenario.service;
  const vipNet = vipInterface(scenario).network;
  const onVip = `tcp port ${port} and host ${vip}`;
  const jobs: Array<[ScenarioNode, string, string]> = [clients(scenario)[0]!, director(scenario)]
    .map((node): [ScenarioNode, string, string] => [node, deviceOn(scenario, node, vipNet), onVip]);
  // NAT: the real server sees its own address and port; TUN: the IPIP packets around the requests.
  const onRealServer = (rs: RealServerNode) =>
    method === 'nat' ? `tcp port ${serverPort(scenario, rs)}` : method === 'tun' ? `ip proto 4 or (${onVip})` : onVip;
  for (const rs of realServers(scenario)) {
    const filter = onRealServer(rs);
    jobs.push([rs, deviceOn(scenario, rs, realServerInterface(scenario, rs).network), filter]);
  }
  return jobs.map(([node, device, filter]) => captureOn(node.name, device, filter));
}

/** The node's interface on a network: where the lab's traffic passes. */
function deviceOn(scenario: Scenario, node: ScenarioNode, network: string): string {
  return nodeInterfaces(scenario, node).find((i) => i.network === network)?.device ?? 'eth0';
}
