import type { RunningLab } from '../lab/find.js';
import { LABEL } from '../labels.js';
import { LIST_CONNECTIONS, LIST_STATS } from '../lvs/ipvsadm.js';
import { parseConnections, parseStats } from '../lvs/parse.js';
import { sleep, type DockerRuntime } from '../runtime/docker.js';
import {
  addressOn, clients, director, nodeInterfaces, realServerInterface, realServers, serverPort, vipInterface,
} from '../scenario/model.js';
import type { Forwarding, RealServerNode, Scenario, ScenarioNode } from '../scenario/schema.js';
import { copyCapture, gatherEvidence, startCapture, type Capture } from './capture.js';
import type { DirectorTables, MethodFacts, NatRoute, PacketEvidence, Topology } from './evidence.js';
import { parseArpingReplies, tcpSocketsOn } from './packets.js';

/**
 * Evidence gathering around the requests: what has to be watched from before the first one (ARP, the
 * captures), and what is read after the last (the director's tables, the packets, each method's facts).
 * Requests themselves: requests.ts, sent per scheduler by traffic.ts.
 */

// IPVS folds its per-CPU counters into `--stats` every 2 s (the rate estimator): read them once they show
// every connection answered, or once a fold has surely happened (a lab whose requests bypass the director).
const STATS_SETTLE_MS = 2200;
const STATS_POLL_MS = 250;

/** Started before the requests, finished after them. */
export interface Watch {
  method: Forwarding;
  topo: Topology;
  captures: Capture[];
  /** DR: the MACs that answered ARP for the VIP. */
  arpReplies: string[];
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
 * Before the requests: who answers ARP for the VIP (DR), and tcpdump on every node, at once (tcpdump
 * listens for TCP only, so it does not see the ARP).
 */
export async function startWatch(runtime: DockerRuntime, lab: RunningLab, method: Forwarding): Promise<Watch> {
  const topo = topology(lab.scenario, lab);
  const [arpReplies, captures] = await Promise.all([
    method === 'dr' ? arpingVip(runtime, lab.scenario) : [],
    startCaptures(runtime, lab.scenario, method),
  ]);
  return { method, topo, arpReplies, captures };
}

/** After the requests: the packets each node saw, and what the method's checks need besides. */
export async function finishWatch(runtime: DockerRuntime, scenario: Scenario, watch: Watch): Promise<PacketEvidence> {
  const captures = await gatherEvidence(runtime, scenario, watch.captures);
  return { topo: watch.topo, captures, facts: await methodFacts(runtime, scenario, watch) };
}

/** The virtual service's connection counter, as `--stats` shows it now (0 before the service exists). */
export async function serviceConnections(runtime: DockerRuntime, scenario: Scenario): Promise<number> {
  return connectionsIn(scenario, (await runtime.exec(director(scenario).name, LIST_STATS)).stdout);
}

function connectionsIn(scenario: Scenario, stats: string): number {
  const { vip, port } = scenario.service;
  return parseStats(stats).find((s) => s.address === vip && s.port === port)?.conns ?? 0;
}

/**
 * The director's `ipvsadm -Ln --stats` and `-Lnc`, once IPVS has folded its counters: once the service's
 * counter reaches `expected` (the count before the requests plus those answered), or after STATS_SETTLE_MS.
 */
export async function readDirectorTables(runtime: DockerRuntime, scenario: Scenario, expected: number): Promise<DirectorTables> {
  const dir = director(scenario).name;
  const t0 = performance.now();
  const [stats, conns] = await Promise.all([settledStats(), runtime.exec(dir, LIST_CONNECTIONS)]);
  async function settledStats() {
    for (;;) {
      const r = await runtime.exec(dir, LIST_STATS);
      const waited = performance.now() - t0;
      if (connectionsIn(scenario, r.stdout) >= expected || waited >= STATS_SETTLE_MS) return r;
      await sleep(Math.min(STATS_POLL_MS, STATS_SETTLE_MS - waited));
    }
  }
  const output = (r: typeof stats) => r.stdout + r.stderr;
  return {
    stats: { command: LIST_STATS.join(' '), output: output(stats), services: parseStats(stats.stdout) },
    connections: { command: LIST_CONNECTIONS.join(' '), output: output(conns), entries: parseConnections(conns.stdout) },
  };
}

/** Copies the watch's .pcap files to DIR on this host. */
export async function keepCaptures(runtime: DockerRuntime, watch: Watch, dir: string): Promise<string[]> {
  return Promise.all(watch.captures.map((c) => copyCapture(runtime, c, dir)));
}

async function arpingVip(runtime: DockerRuntime, scenario: Scenario): Promise<string[]> {
  const client = clients(scenario)[0]!;
  const device = deviceOn(scenario, client, vipInterface(scenario).network);
  const argv = ['arping', '-c', '3', '-w', '4', '-I', device, scenario.service.vip];
  const arp = await runtime.exec(client.name, argv, { timeoutMs: 20_000 });
  return parseArpingReplies(arp.stdout);
}

async function methodFacts(runtime: DockerRuntime, scenario: Scenario, watch: Watch): Promise<MethodFacts> {
  const { vip, port } = scenario.service;
  if (watch.method === 'dr') {
    const netstat = await runtime.exec(director(scenario).name, ['netstat', '-nat']);
    return { method: 'dr', arpReplies: watch.arpReplies, directorSockets: tcpSocketsOn(netstat.stdout, vip, port) };
  }
  if (watch.method === 'nat') {
    return { method: 'nat', routes: await natRoutes(runtime, scenario, watch.topo.client.ip) };
  }
  return { method: 'tun' };
}

/** NAT: each real server's route back to the client, beside the director's address on its network. */
function natRoutes(runtime: DockerRuntime, scenario: Scenario, clientIp: string): Promise<NatRoute[]> {
  const dir = director(scenario);
  return Promise.all(realServers(scenario).map(async (rs) => {
    const via = addressOn(scenario, dir, realServerInterface(scenario, rs).network) ?? '?';
    const r = await runtime.exec(rs.name, ['ip', 'route', 'get', clientIp]);
    return { server: rs.name, via, routeGet: r.stdout + r.stderr };
  }));
}

/** tcpdump on the sampled client, the director and every real server, each filtered to the lab's traffic. */
export function startCaptures(runtime: DockerRuntime, scenario: Scenario, method: Forwarding): Promise<Capture[]> {
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
  return Promise.all(jobs.map(([node, device, filter]) => startCapture(runtime, node.name, device, filter)));
}

/** The node's interface on a network: where the lab's traffic passes. */
function deviceOn(scenario: Scenario, node: ScenarioNode, network: string): string {
  return nodeInterfaces(scenario, node).find((i) => i.network === network)?.device ?? 'eth0';
}
