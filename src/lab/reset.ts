import { resetPlan } from '../plan/reset.js';
import type { Plan } from '../plan/types.js';
import type { DockerRuntime } from '../runtime/docker.js';
import type { UpListener } from './events.js';
import type { RunningLab } from './find.js';
import { LABEL } from './labels.js';
import { executeSteps } from './up.js';

/** The reset plan of a running lab, from its labels: the scenario it was built from. */
export function labResetPlan(lab: RunningLab): Plan {
  const source = lab.containers.find((c) => c.labels[LABEL.source])?.labels[LABEL.source] ?? lab.name;
  return resetPlan(lab.scenario, source);
}

/** Runs it: each node at once, its commands in one exec, reported in plan order like `up`'s. */
export async function resetLab(runtime: DockerRuntime, plan: Plan, listener: UpListener): Promise<void> {
  await executeSteps(plan, runtime, listener, { concurrent: true });
}
