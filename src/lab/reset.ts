import { LABEL } from '../labels.js';
import { resetPlan } from '../plan/reset.js';
import type { Plan } from '../plan/types.js';
import { DockerRuntime } from '../runtime/docker.js';
import { finishing, type UpListener } from './events.js';
import { findLab } from './find.js';
import { executeSteps } from './steps.js';

/**
 * `lab reset [LAB]`: the running lab (found by its labels, so the scenario it was built from) planned back
 * to its just-built state, then run like `up`'s configuration: each node at once, its commands in one exec,
 * reported in plan order. Only planned with `dryRun`.
 */
export async function resetLab(
  ref: string | undefined, dryRun: boolean, listener: UpListener,
): Promise<{ lab: string; plan: Plan }> {
  const runtime = await DockerRuntime.connect();
  const lab = await findLab(runtime, ref);
  const source = lab.containers.find((c) => c.labels[LABEL.source])?.labels[LABEL.source] ?? lab.name;
  const plan = resetPlan(lab.scenario, source);
  if (!dryRun) await finishing(listener, () => executeSteps(plan, runtime, listener, { concurrent: true }));
  return { lab: lab.name, plan };
}
