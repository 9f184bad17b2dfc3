import { realServerRolePlan, webServicePlan } from '../plan/role.js';
import type { Plan } from '../plan/types.js';
import { DockerRuntime } from '../runtime/docker.js';
import type { Scenario } from '../scenario/schema.js';
import { finishing, type UpListener } from './events.js';
import { findLab, findNodeContainer } from './find.js';
import { LABEL } from '../labels.js';
import { executeSteps } from './steps.js';

/** `lab rs stop rs1`: seed 003's role switch (`rs`) or the web server (`web`), off or on, on one real server. */
export interface NodeAction {
  group: 'rs' | 'web';
  action: 'start' | 'stop';
  node: string;
  /** The node's lab, where several have a node of that name. */
  lab?: string | undefined;
}

const PLANNERS = { rs: realServerRolePlan, web: webServicePlan } as const;

/** The steps of an action on a lab's scenario; a node that is no real server of it is a usage error. */
export function nodeActionPlan(scenario: Scenario, { group, action, node }: NodeAction): Plan {
  return PLANNERS[group](scenario, node, action);
}

/**
 * `lab rs|web start|stop NODE`: the node's running lab (found by its labels), the action planned on what
 * really runs, then run step by step like `up` (the steps reported to `listener`), unless only planned.
 */
export async function runNodeAction(
  request: NodeAction & { dryRun: boolean },
  listener: UpListener,
): Promise<{ lab: string; plan: Plan }> {
  const runtime = await DockerRuntime.connect();
  const container = await findNodeContainer(runtime, request.node, request.lab);
  const lab = await findLab(runtime, container.labels[LABEL.lab]);
  const plan = nodeActionPlan(lab.scenario, request);
  if (!request.dryRun) await finishing(listener, () => executeSteps(plan, runtime, listener));
  return { lab: lab.name, plan };
}
