import type { RunningLab } from '../lab/find.js';
import type { DockerRuntime } from '../runtime/docker.js';
import { clients, director, forwardingOf, realServers } from '../scenario/model.js';
import { nodeContainers } from '../scenario/instance.js';
import type { Scenario } from '../scenario/schema.js';
import { checkApplication } from './app.js';
import { assembleReport, type VerifyReport } from './assemble.js';
import { finishWatch, keepCaptures, readCounters, readDirectorTables, startWatch } from './gather.js';
import { checkForwarding, mixedForwarding } from './methods.js';
import { sendSchedulerTraffic } from './traffic.js';

export type { VerifyReport } from './assemble.js';

export interface VerifyOptions {
  /** Requests per client; by default enough for the scheduler's property (two rounds). */
  requests?: number | undefined;
  /** Copy the .pcap files the checks used to this host directory. */
  keepCaptures?: string | undefined;
  /** Wait (up to 2 s) until IPVS has folded its counters into `ipvsadm --stats`: for a page showing them per server. */
  foldedStats?: boolean | undefined;
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
  const { scenario } = lab;
  // Verify runs a dozen commands or more on each of these nodes: one exec each, the commands in a kept shell.
  const nodes = [...clients(scenario), director(scenario), ...realServers(scenario)].map((n) => n.name);
  const shells = await runtime.withContainerNames(nodeContainers(scenario)).withShells(nodes);
  try {
    return await verifyWith(shells.runtime, lab, opts, started);
  } finally {
    shells.close();
  }
}

async function verifyWith(runtime: DockerRuntime, lab: RunningLab, opts: VerifyOptions, started: number): Promise<VerifyReport> {
  const { scenario } = lab;
  const methods = [...new Set(realServers(scenario).map((rs) => forwardingOf(scenario, rs)))];
  const watch = methods.length === 1 ? await startWatch(runtime, lab, methods[0]!) : undefined;
  const before = watch ? watch.countersBefore : await readCounters(runtime, scenario);

  const traffic = await sendSchedulerTraffic(runtime, scenario, opts.requests ?? defaultRequests(scenario));

  // The tables, the packets and each method's facts are read at once (one exec per node): none changes the others.
  const folded = opts.foldedStats ?? false;
  const { tables, packets } = watch
    ? await finishWatch(runtime, scenario, watch, folded)
    : { tables: await readDirectorTables(runtime, scenario, before, folded), packets: undefined };
  const verdict = packets ? checkForwarding(packets, tables) : mixedForwarding(methods);
  const captures = watch && opts.keepCaptures ? await keepCaptures(runtime, watch, opts.keepCaptures) : [];
  // After the packet evidence: the application's checks send traffic of their own and stop a real server's role.
  const appChecks = await checkApplication(runtime, scenario);
  const { vip, port, scheduler } = scenario.service;
  return assembleReport({
    lab: lab.name, vip, port, scheduler, forwarding: methods, client: clients(scenario)[0]!.name,
    traffic, methodChecks: verdict.checks, appChecks, hops: verdict.hops, tables, captures,
    seconds: (performance.now() - started) / 1000,
  });
}
