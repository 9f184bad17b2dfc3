import { StepRecorder, type RecordedStep } from '../lab/events.js';
import type { RunningLab } from '../lab/find.js';
import { nodeActionPlan, type NodeAction } from '../lab/node-actions.js';
import { executeSteps } from '../lab/up.js';
import { LIST, LIST_STATS } from '../lvs/ipvsadm.js';
import { parseList, parseStats, type ListedService, type ServiceStats } from '../lvs/parse.js';
import type { DockerRuntime } from '../runtime/docker.js';
import { clients, director } from '../scenario/model.js';
import { sendRequests } from '../verify/requests.js';
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

/** What `lab ui` can do to a lab; the server only calls these, so it is tested with a stand-in. */
export interface LabActions {
  state(): Promise<DirectorState>;
  sendRequests(count: number): Promise<RequestResult[]>;
  run(action: NodeAction): Promise<{ ok: boolean; steps: RecordedStep[] }>;
}

/** The actions on a running lab, through Docker: the same commands `ipvsadm`, `lab verify`'s curl loop, `lab rs` and `lab web` run. */
export function dockerLabActions(runtime: DockerRuntime, lab: RunningLab): LabActions {
  const dir = director(lab.scenario).name;
  return {
    async state() {
      const [list, stats] = await Promise.all([runtime.exec(dir, LIST), runtime.exec(dir, LIST_STATS)]);
      return { at: new Date().toISOString(), list: parseList(list.stdout), stats: parseStats(stats.stdout), statsText: stats.stdout + stats.stderr };
    },
    async sendRequests(count) {
      return (await sendRequests(runtime, lab.scenario, clients(lab.scenario)[0]!.name, count)).results;
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
