import type { RunningLab } from '../lab/find.js';
import { LABEL } from '../lab/labels.js';
import { LIST_CONNECTIONS, LIST_STATS } from '../lvs/ipvsadm.js';
import { parseConnections, parseStats, type Connection, type ServiceStats } from '../lvs/parse.js';
import { sleep, type DockerRuntime } from '../runtime/docker.js';
import { addressOn, clients, director, forwardingOf, nodeInterfaces, realServers, vipInterface } from '../scenario/model.js';
import type { Scenario, ScenarioNode } from '../scenario/schema.js';
import { copyCapture, startCapture, stopCapture, type Capture } from './capture.js';
import {
  checkArpOwnership,
  checkNoDirectorEndpoint,
  checkRequestPath,
  checkReturnPath,
  hopTable,
  type DrCaptures,
  type DrTopology,
  type Hop,
} from './dr.js';
import { parseArpingReplies, parseTcpdump, tcpSocketsOn } from './packets.js';
import { sendRequests } from './requests.js';
import { checkScheduling } from './schedule.js';
import type { CheckResult, RequestResult } from './types.js';

/** The report `lab verify --json` prints; its shape is documented in docs/verify-json.md. */
export interface VerifyReport {
  schema: 'lvs-lab/verify@1';
  lab: string;
  vip: string;
  port: number;
  scheduler: string;
  forwarding: string[];
  client: string;
  requestCommand: string;
  requests: RequestResult[];
  checks: CheckResult[];
  hops: Hop[] | null;
  director: {
    stats: { command: string; output: string; services: ServiceStats[] };
    connections: { command: string; output: string; entries: Connection[] };
  };
  captures: string[];
  ok: boolean;
}

// IPVS folds its per-CPU counters into `--stats` every 2 s (the rate estimator); read after that.
const STATS_SETTLE_MS = 2200;

export interface VerifyOptions {
  requests: number;
  /** Copy the .pcap files the checks used to this host directory. */
  keepCaptures?: string | undefined;
}

/**
 * Sends the requests and gathers evidence: ARP answers, captures on the client, the director and each real
 * server, the director's sockets and IPVS tables. Then judges each property on that evidence.
 */
export async function verifyLab(runtime: DockerRuntime, lab: RunningLab, opts: VerifyOptions): Promise<VerifyReport> {
  const scenario = lab.scenario;
  const client = clients(scenario)[0]!;
  const dir = director(scenario);
  const { vip, port } = scenario.service;
  const methods = [...new Set(realServers(scenario).map((rs) => forwardingOf(scenario, rs)))];
  const dr = methods.length === 1 && methods[0] === 'dr' ? drTopology(scenario, lab) : undefined;

  const checks: CheckResult[] = [];
  let captures: Capture[] = [];
  if (dr) {
    const arp = await runtime.exec(client.name, ['arping', '-c', '3', '-w', '4', '-I', deviceOn(scenario, client), vip], { timeoutMs: 20_000 });
    checks.push(checkArpOwnership(dr, parseArpingReplies(arp.stdout)));
    const filter = `tcp port ${port} and host ${vip}`;
    captures = await Promise.all([client, dir, ...realServers(scenario)].map((n) => startCapture(runtime, n.name, deviceOn(scenario, n), filter)));
  }

  const { command, results } = await sendRequests(runtime, scenario, client.name, opts.requests);
  const schedule = checkScheduling(scenario.service.scheduler, realServers(scenario).map((rs) => ({ name: rs.name, weight: rs.weight })), results);

  await sleep(STATS_SETTLE_MS);
  const stats = await runtime.exec(dir.name, LIST_STATS);
  const conns = await runtime.exec(dir.name, LIST_CONNECTIONS);
  const entries = parseConnections(conns.stdout);

  let hops: Hop[] | undefined;
  const kept: string[] = [];
  if (dr) {
    const texts = await Promise.all(captures.map((c) => stopCapture(runtime, c)));
    const byNode = Object.fromEntries(captures.map((c, i) => [c.node, parseTcpdump(texts[i]!)]));
    const evidence: DrCaptures = {
      client: byNode[client.name] ?? [],
      director: byNode[dir.name] ?? [],
      realServers: Object.fromEntries(realServers(scenario).map((rs) => [rs.name, byNode[rs.name] ?? []])),
    };
    const netstat = await runtime.exec(dir.name, ['netstat', '-nat']);
    checks.push(checkRequestPath(dr, evidence), checkReturnPath(dr, evidence), checkNoDirectorEndpoint(dr, tcpSocketsOn(netstat.stdout, vip, port), entries));
    hops = hopTable(dr, evidence);
    if (opts.keepCaptures) for (const c of captures) kept.push(await copyCapture(runtime, c, opts.keepCaptures));
  } else {
    checks.push({
      id: 'packet-path',
      title: 'Packet path',
      status: 'not-checked',
      summary: `lab checks packet paths for direct routing only so far; this lab uses ${methods.join(', ')}.`,
    });
  }
  // With the ARP check failed, every later symptom follows from it: say so where the symptom is shown.
  const arpFailed = checks.some((c) => c.id === 'arp' && c.status === 'fail');
  checks.push(arpFailed && schedule.status === 'fail' ? { ...schedule, diagnosis: 'Fix the ARP check first: clients that reach a real server directly are never scheduled.' } : schedule);

  return {
    schema: 'lvs-lab/verify@1',
    lab: lab.name,
    vip,
    port,
    scheduler: scenario.service.scheduler,
    forwarding: methods,
    client: client.name,
    requestCommand: command,
    requests: results,
    checks,
    hops: hops ?? null,
    director: {
      stats: { command: LIST_STATS.join(' '), output: stats.stdout + stats.stderr, services: parseStats(stats.stdout) },
      connections: { command: LIST_CONNECTIONS.join(' '), output: conns.stdout + conns.stderr, entries },
    },
    captures: kept,
    ok: checks.every((c) => c.status !== 'fail'),
  };
}

/** The node's interface on the VIP's network: where the lab's traffic to the VIP passes. */
function deviceOn(scenario: Scenario, node: ScenarioNode): string {
  const network = vipInterface(scenario).network;
  return nodeInterfaces(scenario, node).find((i) => i.network === network)?.device ?? 'eth0';
}

function drTopology(scenario: Scenario, lab: RunningLab): DrTopology {
  const network = vipInterface(scenario).network;
  const endpoint = (node: ScenarioNode) => {
    const container = lab.containers.find((c) => c.labels[LABEL.node] === node.name);
    return { name: node.name, ip: addressOn(scenario, node, network) ?? '', mac: container?.macs[network] ?? '' };
  };
  return {
    vip: scenario.service.vip,
    port: scenario.service.port,
    client: endpoint(clients(scenario)[0]!),
    director: endpoint(director(scenario)),
    realServers: realServers(scenario).map(endpoint),
  };
}
