import { buildPlan } from '../plan/build.js';
import type { Plan } from '../plan/types.js';
import { DockerRuntime } from '../runtime/docker.js';
import { ASSUMED_FACTS, hasAuto, resolveAuto } from '../scenario/auto.js';
import type { ScenarioOverrides } from '../scenario/model.js';
import type { Scenario } from '../scenario/schema.js';
import { verifyLab, type VerifyReport } from '../verify/run.js';
import { resolveOnEngine } from './engine-facts.js';
import { finishing, type UpListener } from './events.js';
import { findLab } from './find.js';
import { instanceOnEngine, subnetTakenMeanwhile } from './instance.js';
import { catchInterrupts } from './interrupts.js';
import { newRunId } from '../labels.js';
import { requestedScenario } from './scenario-of.js';
import { up } from './up.js';

/** What `lab up` is asked to do. */
export interface UpRequest {
  /** A built-in scenario's name or a scenario file. */
  ref: string;
  overrides: ScenarioOverrides;
  keepOnFailure: boolean;
  /** Run the doctor's checks first. */
  doctor: boolean;
  /** Verify the lab once it is up. */
  verify: boolean;
  /** Requests per client for that verification; by default the scheduler's two rounds. */
  requests?: number | undefined;
  /** Bring up instance NAME of the scenario (`--name`): its own names and free subnets. */
  name?: string | undefined;
}

/** How many times `up --name` picks subnets again when another lab took them first. */
const SUBNET_ATTEMPTS = 6;

export interface PlannedUp {
  plan: Plan;
  /** The scenario leaves a setting to `auto`: the plan shows the tutorial's choice, no engine decided it. */
  autoAssumed: boolean;
}

/**
 * `lab up --dry-run`: the plan, with no engine asked about `auto`, planned as the tutorial's choice. An
 * instance (`name`) asks the engine only which subnets are free, to show the ones `up` would take now.
 */
export async function planWithoutChanges(ref: string, overrides: ScenarioOverrides, name?: string): Promise<PlannedUp> {
  const { scenario: requested, source } = await requestedScenario(ref, overrides);
  const scenario = name === undefined ? requested : await instanceOnEngine(await DockerRuntime.connect(), requested, name);
  const { scenario: assumed } = resolveAuto(scenario, ASSUMED_FACTS);
  return { plan: buildPlan(assumed, source), autoAssumed: hasAuto(scenario) };
}

export interface BroughtUp {
  plan: Plan;
  /** How long bringing it up took, verification aside. */
  seconds: number;
  /** Verify's report, or none when not asked for. */
  report: VerifyReport | undefined;
}

/**
 * `lab up`: the scenario with its overrides, `auto` decided on this engine, planned under a fresh run id,
 * brought up (the steps reported to `listener`, an interrupt cleaning up after itself), then verified.
 */
export async function bringUp(request: UpRequest, listener: UpListener): Promise<BroughtUp> {
  const requested = await requestedScenario(request.ref, request.overrides);
  // A shell kept open on each node (again, if one was closed) from its first command to the end of the
  // verification: each command there a fork, not an exec (an exec costs 0.3-1.5 s of a one-CPU engine).
  const shells = (await DockerRuntime.connect()).withShellPool();
  try {
    const { runtime } = shells;
    const started = performance.now();
    const plan = await upCatchingInterrupts(runtime, requested, request, listener);
    const seconds = (performance.now() - started) / 1000;
    if (!request.verify) return { plan, seconds, report: undefined };
    const lab = await findLab(runtime, plan.lab);
    return { plan, seconds, report: await verifyLab(runtime, lab, { requests: request.requests }) };
  } finally {
    shells.close();
  }
}

/** From its start an interrupt cleans up after itself (resolving `auto` already runs probe containers). */
async function upCatchingInterrupts(
  runtime: DockerRuntime,
  requested: { scenario: Scenario; source: string },
  request: UpRequest,
  listener: UpListener,
): Promise<Plan> {
  const interrupts = catchInterrupts();
  try {
    return await finishing(listener, async () => {
      for (let attempt = 1; ; attempt++) {
        const { name } = request;
        const wanted = name === undefined ? requested.scenario : await instanceOnEngine(runtime, requested.scenario, name);
        const { scenario, notes } = await resolveOnEngine(runtime, wanted);
        notes.forEach((n) => listener.note(`warning: ${n}`));
        const plan = buildPlan(scenario, requested.source, newRunId());
        const { keepOnFailure, doctor } = request;
        try {
          await up(plan, runtime, listener, { keepOnFailure, skipDoctor: !doctor, interrupted: interrupts.signal });
          return plan;
        } catch (err) {
          if (name === undefined || attempt === SUBNET_ATTEMPTS || !(await subnetTakenMeanwhile(runtime, scenario))) throw err;
          const subnets = scenario.networks.map((n) => n.subnet).join(', ');
          listener.note(`Another lab took ${subnets} meanwhile: picking free subnets again (attempt ${attempt + 1}).`);
        }
      }
    });
  } finally {
    interrupts.release();
  }
}
