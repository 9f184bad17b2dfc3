import { StepRecorder, type RecordedStep } from '../lab/events.js';
import type { RunningLab } from '../lab/find.js';
import { nodeActionPlan, type NodeAction } from '../lab/node-actions.js';
import { executeSteps } from '../lab/steps.js';
import { LIST, LIST_STATS } from '../lvs/ipvsadm.js';
import { parseList, parseStats, type ListedService, type ServiceStats } from '../lvs/parse.js';
import type { DockerRuntime } from '../runtime/docker.js';
import { nodeContainers } from '../scenario/instance.js';
import { clients, director, forwardingOf, realServers } from '../scenario/model.js';
import { gatherEvidence } from '../verify/capture.js';
import { clientPorts, type Hop } from '../verify/dr.js';
import type { Captures } from '../verify/evidence.js';
import { connectionHops } from '../verify/forwarding.js';
import { sendRequests } from '../verify/requests.js';
import { startCaptures, topology } from '../verify/gather.js';
import type { RequestResult } from '../verify/types.js';

/** The director's table and counters, as the live page shows them. */
export interface DirectorState {
  at: string;
  list: ListedService[];
  stats: ServiceStats[];
  /** Raw `ipvsadm -Ln --stats`, for the page's text view. */
  statsText: string;
}

export type { NodeAction };

/** A request the page sent, with its connection's hops as tcpdump saw them on the nodes (null: not captured). */
export interface SentRequest extends RequestResult {
  hops: Hop[] | null;
}

export interface SentRequests {
  results: SentRequest[];
  /** Wall time of the whole send, captures included, and of the captures' start and stop alone (0: none ran). */
  seconds: number;
  captureSeconds: number;
}

/** What `lab ui` can do to a lab; the server only calls these, so it is tested with a stand-in. */
export interface LabActions {
  state(): Promise<DirectorState>;
  sendRequests(count: number): Promise<SentRequests>;
  run(action: NodeAction): Promise<{ ok: boolean; steps: RecordedStep[] }>;
}

/** The actions on a running lab, through Docker: the same commands `ipvsadm`, `lab verify`'s curl loop, `lab rs` and `lab web` run. */
export function dockerLabActions(engine: DockerRuntime, lab: RunningLab): LabActions {
  const runtime = engine.withContainerNames(nodeContainers(lab.scenario));
  const dir = director(lab.scenario).name;
  return {
    async state() {
      const [list, stats] = await Promise.all([runtime.exec(dir, LIST), runtime.exec(dir, LIST_STATS)]);
      return { at: new Date().toISOString(), list: parseList(list.stdout), stats: parseStats(stats.stdout), statsText: stats.stdout + stats.stderr };
    },
    async sendRequests(count) {
      return capturedRequests(runtime, lab, count);
    },
    async run(action) {
      const plan = nodeActionPlan(lab.scenario, action); // throws for a node that is no real server
      const progress = new StepRecorder();
      try {
        await executeSteps(plan, runtime, progress);
        return { ok: true, steps: progress.steps };
      } catch {
        // A failed step is in the steps with its output: the page shows it, as `lab rs` would print it.
        return { ok: false, steps: progress.steps };
      }
    },
  };
}

/**
 * Sends the requests with tcpdump running on the client, the director and each real server (what `lab verify`
 * captures), then reads each connection's hops from the captures by its client port. Labs whose real servers
 * mix methods are not captured: their requests come back without hops.
 */
async function capturedRequests(runtime: DockerRuntime, lab: RunningLab, count: number): Promise<SentRequests> {
  const started = performance.now();
  const { scenario } = lab;
  const methods = [...new Set(realServers(scenario).map((rs) => forwardingOf(scenario, rs)))];
  const method = methods.length === 1 ? methods[0] : undefined;
  const captures = method ? await startCaptures(runtime, scenario, method) : [];
  let captureMs = performance.now() - started;
  let sent: Awaited<ReturnType<typeof sendRequests>>;
  let evidence: Captures;
  try {
    sent = await sendRequests(runtime, scenario, clients(scenario)[0]!.name, count);
  } finally {
    const stopping = performance.now();
    evidence = await gatherEvidence(runtime, scenario, captures); // also when the requests failed: no tcpdump is left running
    captureMs += performance.now() - stopping;
  }
  const topo = topology(scenario, lab);
  const ports = clientPorts(topo, evidence);
  const hopsOf = (i: number) => (method && ports[i] !== undefined ? connectionHops(method, topo, evidence, ports[i]) : undefined) ?? null;
  return {
    results: sent.results.map((r, i) => ({ ...r, hops: hopsOf(i) })),
    seconds: (performance.now() - started) / 1000,
    captureSeconds: method ? captureMs / 1000 : 0,
  };
}
