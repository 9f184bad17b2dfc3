import type { RunningLab } from '../lab/find.js';
import { LABEL } from '../lab/labels.js';
import { LIST, LIST_CONNECTIONS, LIST_STATS } from '../lvs/ipvsadm.js';
import { parseConnections, parseList, parseStats, type Connection, type ServiceStats } from '../lvs/parse.js';
import { webControl } from '../plan/role.js';
import { checkApplication } from './app.js';
import { checkFailover } from './failover.js';
import { shServerFor } from '../lvs/sh-hash.js';
import { sleep, type DockerRuntime } from '../runtime/docker.js';
import { addressOn, clients, director, forwardingOf, nodeInterfaces, realServerInterface, realServers, serverPort, vipInterface } from '../scenario/model.js';
import type { Forwarding, Scenario, ScenarioNode } from '../scenario/schema.js';
import { copyCapture, startCapture, stopCapture, type Capture } from './capture.js';
import {
  checkArpOwnership,
  checkNoDirectorEndpoint,
  checkRequestPath,
  checkReturnPath,
  hopTable,
  type Captures,
  type Hop,
  type Topology,
} from './dr.js';
import { checkDirectorReplies, checkNatGateway, checkNatRewrite, checkTunnel } from './forwarding.js';
import { parseArpingReplies, parseTcpdump, tcpSocketsOn } from './packets.js';
import { sendRequests } from './requests.js';
import { checkLeastConnection, checkPersistence, checkScheduling, checkSourceHashing } from './schedule.js';
import type { CheckResult, RequestResult } from './types.js';

/** The report `lab verify --json` prints; its shape is documented in docs/verify-json.md. */
export interface VerifyReport {
  schema: 'lvs-lab/verify@1';
  lab: string;
  vip: string;
  port: number;
  scheduler: string;
  forwarding: string[];
  /** The property the scheduling check proved, in words. */
  property: string;
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
  /** Wall time of the whole verification (requests, captures, tables), which all its checks share. */
  seconds: number;
  ok: boolean;
}

// IPVS folds its per-CPU counters into `--stats` every 2 s (the rate estimator); read after that.
const STATS_SETTLE_MS = 2200;

export interface VerifyOptions {
  /** Requests per client; by default enough for the scheduler's property (two rounds). */
  requests?: number | undefined;
  /** Copy the .pcap files the checks used to this host directory. */
  keepCaptures?: string | undefined;
}

/** Two whole rounds of the scheduler: 2 x servers for rr, 2 x sum of weights for wrr, at least 6. */
export function defaultRequests(scenario: Scenario): number {
  const servers = realServers(scenario).filter((rs) => rs.weight > 0);
  const round = scenario.service.scheduler === 'wrr' ? servers.reduce((n, rs) => n + rs.weight, 0) : servers.length;
  return Math.max(6, 2 * round);
}

/**
 * Sends the requests the scheduler's property needs and gathers evidence on the way: ARP answers,
 * captures on a client, the director and each real server, the director's sockets and IPVS tables.
 * Then judges each property of the forwarding method and the scheduler on that evidence.
 */
export async function verifyLab(runtime: DockerRuntime, lab: RunningLab, opts: VerifyOptions): Promise<VerifyReport> {
  const started = performance.now();
  const scenario = lab.scenario;
  const count = opts.requests ?? defaultRequests(scenario);
  const client = clients(scenario)[0]!;
  const dir = director(scenario);
  const { vip, port } = scenario.service;
  const methods = [...new Set(realServers(scenario).map((rs) => forwardingOf(scenario, rs)))];
  const method: Forwarding | undefined = methods.length === 1 ? methods[0] : undefined;
  const topo = topology(scenario, lab);
  const checks: CheckResult[] = [];

  if (method === 'dr') {
    const arp = await runtime.exec(client.name, ['arping', '-c', '3', '-w', '4', '-I', deviceOn(scenario, client, vipInterface(scenario).network), vip], { timeoutMs: 20_000 });
    checks.push(checkArpOwnership(topo, parseArpingReplies(arp.stdout)));
  }
  const captures = method ? await startCaptures(runtime, scenario, method) : [];

  const probe = await runSchedulingProbe(runtime, scenario, count);

  await sleep(STATS_SETTLE_MS);
  const stats = await runtime.exec(dir.name, LIST_STATS);
  const conns = await runtime.exec(dir.name, LIST_CONNECTIONS);
  const services = parseStats(stats.stdout);
  const entries = parseConnections(conns.stdout);

  let hops: Hop[] | undefined;
  const kept: string[] = [];
  if (method) {
    const texts = await Promise.all(captures.map((c) => stopCapture(runtime, c)));
    const byNode = Object.fromEntries(captures.map((c, i) => [c.node, parseTcpdump(texts[i]!)]));
    const evidence: Captures = {
      client: byNode[client.name] ?? [],
      director: byNode[dir.name] ?? [],
      realServers: Object.fromEntries(realServers(scenario).map((rs) => [rs.name, byNode[rs.name] ?? []])),
    };
    if (method === 'dr') {
      const netstat = await runtime.exec(dir.name, ['netstat', '-nat']);
      checks.push(checkRequestPath(topo, evidence), checkReturnPath(topo, evidence), checkNoDirectorEndpoint(topo, tcpSocketsOn(netstat.stdout, vip, port), entries));
      hops = hopTable(topo, evidence);
    } else if (method === 'nat') {
      const routes = await Promise.all(realServers(scenario).map(async (rs) => {
        const net = realServerInterface(scenario, rs).network;
        const via = addressOn(scenario, dir, net) ?? '?';
        const r = await runtime.exec(rs.name, ['ip', 'route', 'get', topo.client.ip]);
        return { server: rs.name, via, routeGet: r.stdout + r.stderr };
      }));
      checks.push(checkNatGateway(routes), checkNatRewrite(topo, evidence));
    } else {
      checks.push(checkTunnel(topo, evidence));
    }
    checks.push(checkDirectorReplies(method, topo, services));
    if (opts.keepCaptures) for (const c of captures) kept.push(await copyCapture(runtime, c, opts.keepCaptures));
  } else {
    checks.push({ id: 'packet-path', title: 'Packet path', status: 'not-checked', summary: `real servers use different methods (${methods.join(', ')}); lab checks one method at a time.` });
  }
  // With the ARP check failed, every later symptom follows from it: say so where the symptom is shown.
  const arpFailed = checks.some((c) => c.id === 'arp' && c.status === 'fail');
  for (const c of probe.checks) checks.push(arpFailed && c.status === 'fail' ? { ...c, diagnosis: 'Fix the ARP check first: clients that reach a real server directly are never scheduled.' } : c);
  checks.push(...(await checkApplication(runtime, scenario)));

  return {
    schema: 'lvs-lab/verify@1',
    lab: lab.name,
    vip,
    port,
    scheduler: scenario.service.scheduler,
    forwarding: methods,
    property: probe.checks.at(-1)!.title,
    client: client.name,
    requestCommand: probe.command,
    requests: probe.requests,
    checks,
    hops: hops ?? null,
    director: {
      stats: { command: LIST_STATS.join(' '), output: stats.stdout + stats.stderr, services },
      connections: { command: LIST_CONNECTIONS.join(' '), output: conns.stdout + conns.stderr, entries },
    },
    captures: kept,
    seconds: Number(((performance.now() - started) / 1000).toFixed(3)),
    ok: checks.every((c) => c.status !== 'fail'),
  };
}

interface Probe {
  command: string;
  requests: RequestResult[];
  /** The scheduler's (and, for keepalived, the failover's) checks; the last one names the property. */
  checks: CheckResult[];
}

/** Each scheduler promises something different; send the traffic that shows it. */
async function runSchedulingProbe(runtime: DockerRuntime, scenario: Scenario, count: number): Promise<Probe> {
  const servers = realServers(scenario).map((rs) => ({ name: rs.name, weight: rs.weight }));
  const [first] = clients(scenario);
  const { scheduler, persistence } = scenario.service;

  if (scenario.service.manager === 'keepalived') return failoverProbe(runtime, scenario, count);
  if (persistence !== undefined) {
    const { command, results } = await sendRequests(runtime, scenario, first!.name, count);
    return { command, requests: results, checks: [checkPersistence(persistence, results)] };
  }
  if (scheduler === 'sh') {
    const perClient = [];
    let command = '';
    for (const c of clients(scenario)) {
      const sent = await sendRequests(runtime, scenario, c.name, count);
      command = sent.command;
      const ip = addressOn(scenario, c, vipInterface(scenario).network)!;
      perClient.push({ client: c.name, expected: shServerFor(ip, servers), requests: sent.results });
    }
    return { command, requests: perClient.flatMap((p) => p.requests), checks: [checkSourceHashing(perClient)] };
  }
  if (scheduler === 'lc' || scheduler === 'wlc') {
    const held = await holdConnection(runtime, scenario, first!.name);
    try {
      const { command, results } = await sendRequests(runtime, scenario, first!.name, count);
      return { command: `${held.command}; ${command}`, requests: results, checks: [checkLeastConnection(held.server, results)] };
    } finally {
      await runtime.exec(first!.name, ['sh', '-c', `kill ${held.pid} 2>/dev/null; true`]);
    }
  }
  const { command, results } = await sendRequests(runtime, scenario, first!.name, count);
  return { command, requests: results, checks: [checkScheduling(scheduler, servers, results)] };
}

/**
 * keepalived's promise: stop the first real server's web server, time until the director drops it, send
 * requests during the outage, start it again, time until it is back, send requests again.
 */
async function failoverProbe(runtime: DockerRuntime, scenario: Scenario, count: number): Promise<Probe> {
  const servers = realServers(scenario).map((rs) => ({ name: rs.name, weight: rs.weight }));
  const client = clients(scenario)[0]!.name;
  const victim = realServers(scenario)[0]!;
  const victimAddress = realServerInterface(scenario, victim).address;
  const dir = director(scenario).name;
  const inTable = async () => parseList((await runtime.exec(dir, LIST)).stdout).some((s) => s.realServers.some((r) => r.address === victimAddress));
  const waitFor = async (present: boolean): Promise<number | undefined> => {
    const t0 = performance.now();
    while (performance.now() - t0 < 60_000) {
      if ((await inTable()) === present) return (performance.now() - t0) / 1000;
      await sleep(250);
    }
    return undefined;
  };
  const control = (action: 'start' | 'stop') => runtime.exec(victim.name, webControl(scenario, victim.name, action));

  const before = await sendRequests(runtime, scenario, client, count);
  await control('stop');
  const removedAfter = await waitFor(false);
  const during = await sendRequests(runtime, scenario, client, count);
  await control('start');
  const restoredAfter = await waitFor(true);
  const after = await sendRequests(runtime, scenario, client, count);
  const baseline = checkScheduling(scenario.service.scheduler, servers, before.results);
  const check = checkFailover({ server: victim.name, checkInterval: scenario.service.checkInterval, removedAfter, during: during.results, restoredAfter, after: after.results });
  return {
    command: `${before.command}; lab web stop ${victim.name}; (requests); lab web start ${victim.name}; (requests)`,
    requests: [...before.results, ...during.results, ...after.results].map((r, index) => ({ ...r, index })),
    checks: [baseline, check],
  };
}

/**
 * Opens one TCP connection to the VIP and keeps it open (half a request, so the web server waits),
 * then reads from the director which real server holds it.
 */
async function holdConnection(runtime: DockerRuntime, scenario: Scenario, client: string): Promise<{ command: string; pid: string; server: string | undefined }> {
  const { vip, port } = scenario.service;
  const command = `bash -c 'exec 3<>/dev/tcp/${vip}/${port}; printf "GET / HTTP/1.1\\r\\nHost: lab\\r\\n" >&3; sleep 60' &`;
  const r = await runtime.exec(client, ['sh', '-c', `${command.replace(/ &$/, '')} </dev/null >/dev/null 2>&1 & echo $!`]);
  const pid = r.stdout.trim();
  const clientIp = addressOn(scenario, clients(scenario).find((c) => c.name === client)!, vipInterface(scenario).network);
  let server: string | undefined;
  for (let i = 0; i < 20 && !server; i++) {
    await sleep(250);
    const conns = parseConnections((await runtime.exec(director(scenario).name, LIST_CONNECTIONS)).stdout);
    const established = conns.find((c) => c.state === 'ESTABLISHED' && c.source.address === clientIp && c.virtual.address === vip);
    server = established && realServers(scenario).find((rs) => realServerInterface(scenario, rs).address === established.destination.address)?.name;
  }
  return { command, pid, server };
}

async function startCaptures(runtime: DockerRuntime, scenario: Scenario, method: Forwarding): Promise<Capture[]> {
  const { vip, port } = scenario.service;
  const vipNet = vipInterface(scenario).network;
  const client = clients(scenario)[0]!;
  const dir = director(scenario);
  const onVip = `tcp port ${port} and host ${vip}`;
  const jobs: Array<[ScenarioNode, string, string]> = [
    [client, deviceOn(scenario, client, vipNet), onVip],
    [dir, deviceOn(scenario, dir, vipNet), onVip],
  ];
  for (const rs of realServers(scenario)) {
    const net = realServerInterface(scenario, rs).network;
    const filter = method === 'nat' ? `tcp port ${serverPort(scenario, rs)}` : method === 'tun' ? `ip proto 4 or (${onVip})` : onVip;
    jobs.push([rs, deviceOn(scenario, rs, net), filter]);
  }
  return Promise.all(jobs.map(([node, device, filter]) => startCapture(runtime, node.name, device, filter)));
}

/** The node's interface on a network: where the lab's traffic passes. */
function deviceOn(scenario: Scenario, node: ScenarioNode, network: string): string {
  return nodeInterfaces(scenario, node).find((i) => i.network === network)?.device ?? 'eth0';
}

function topology(scenario: Scenario, lab: RunningLab): Topology {
  const vipNet = vipInterface(scenario).network;
  const endpoint = (node: ScenarioNode, network: string) => {
    const container = lab.containers.find((c) => c.labels[LABEL.node] === node.name);
    return { name: node.name, ip: addressOn(scenario, node, network) ?? '', mac: container?.macs[network] ?? '' };
  };
  return {
    vip: scenario.service.vip,
    port: scenario.service.port,
    client: endpoint(clients(scenario)[0]!, vipNet),
    clientIps: clients(scenario).map((c) => addressOn(scenario, c, vipNet) ?? ''),
    director: endpoint(director(scenario), vipNet),
    realServers: realServers(scenario).map((rs) => ({ ...endpoint(rs, realServerInterface(scenario, rs).network), port: serverPort(scenario, rs) })),
  };
}
