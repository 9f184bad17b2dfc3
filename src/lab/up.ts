import { environmentError, ExitCode, LabError } from '../errors.js';
import { NO_IPVS_PATTERN } from '../lvs/ipvsadm.js';
import { PHASES, type Phase, type Plan, type Step } from '../plan/types.js';
import { errorMessage, sleep, type DockerRuntime } from '../runtime/docker.js';
import { loadIpvsFix, NO_IPIP, noIpvsMessage } from '../lvs/modules.js';
import { CHECK_IDS, doctorFailure, namesCheck } from '../doctor/checks.js';
import { ProbeSession } from '../doctor/probes.js';
import { runDoctor } from '../doctor/run.js';
import { DEBIAN_IMAGE, offlineBaseOf } from '../image-names.js';
import { LABEL, labMade, newRunId } from '../labels.js';
import type { Scenario } from '../scenario/schema.js';
import { shipped } from '../package.js';
import type { StepOutcome, UpListener } from './events.js';
import { buildOfflineRootfs, importRootfs } from './images.js';
import { signalExitCode } from './interrupts.js';
import { listRun, teardownRun } from './teardown.js';

const SYSTEMD_BOOT_TIMEOUT_MS = 120_000;
const EXEC_TIMEOUT_MS = 120_000;

function noIpvsError(scenario: Scenario, output: string): LabError {
  const said = output.trim().split('\n')[0]!;
  return environmentError(`${noIpvsMessage('ipvsadm on the director', said)}.`, loadIpvsFix(scenario));
}

/** Every doctor check but `names`, which preflight ran already (before building an image). */
const CHECKS_AFTER_PREFLIGHT = CHECK_IDS.filter((id) => id !== 'names');

/**
 * Before touching anything: no name taken (the `names` check of `lab doctor`, where "already up" also
 * stops), then the images, building the default one if it is missing.
 */
async function preflight(plan: Plan, runtime: DockerRuntime, listener: UpListener): Promise<void> {
  // Listed here, not by runDoctor: an engine that does not answer stops `up` with its own error and fix.
  const [containers, networks] = await Promise.all([runtime.listContainers(), runtime.listNetworks()]);
  const clash = doctorFailure([namesCheck(plan.scenario, containers, networks)], { failOnWarn: ['names'] });
  if (clash) throw clash;
  const images = [...new Set(plan.steps.flatMap((s) => (s.kind === 'container' ? [s.container.image] : [])))];
  for (const image of images) {
    if (await runtime.imageExists(image)) continue;
    const base = offlineBaseOf(image);
    if (base) {
      // The default image (and seed 003's) can always be made here, from Debian packages: do it rather than fail.
      const readme = shipped('images/README.md');
      listener.note(`Image ${image} is missing: building it from Debian packages (once; see ${readme})...`);
      const tar = await buildOfflineRootfs(base, { onLine: (line) => listener.note(`  ${line}`) });
      await importRootfs(runtime, tar, image);
      listener.note(`Image ${image} imported.`);
    } else {
      throw environmentError(
        `Image ${image} is not in this Docker engine.`,
        `Build it (\`docker build -t ${image} images/...\`), import it (\`lab images import TAR --tag ${image}\`), ` +
          `or use the default ${DEBIAN_IMAGE}, which lab builds itself.`,
      );
    }
  }
}

async function waitForSystemd(runtime: DockerRuntime, node: string): Promise<StepOutcome> {
  const started = performance.now();
  let last = '';
  while (performance.now() - started < SYSTEMD_BOOT_TIMEOUT_MS) {
    const r = await runtime.exec(node, ['systemctl', 'is-system-running'], { timeoutMs: 20_000 });
    last = (r.stdout + r.stderr).trim();
    // "degraded" still means booted: some unit failed, but systemctl works.
    if (/^(running|degraded)$/m.test(last)) return { exitCode: 0, stdout: last, seconds: (performance.now() - started) / 1000 };
    await sleep(300);
  }
  const seconds = SYSTEMD_BOOT_TIMEOUT_MS / 1000;
  throw new LabError(`systemd on ${node} did not finish booting in ${seconds} s (last state: ${last || 'none'}).`, {
    exitCode: ExitCode.environment,
    hint:
      'On a cgroup v2 host an old systemd (centos:7) cannot boot; use the Debian image, or run with `--init none`. ' +
      `Look inside with \`lab shell ${node}\` (\`systemctl list-jobs\`, \`journalctl -b\`).`,
  });
}

export interface UpOptions {
  keepOnFailure?: boolean;
  skipDoctor?: boolean;
  /** Settles with the signal (SIGINT, SIGTERM) that interrupts the run; never, when not given. */
  interrupted?: Promise<NodeJS.Signals>;
}

type Outcome = { kind: 'done' } | { kind: 'failed'; error: unknown } | { kind: 'interrupted'; signal: NodeJS.Signals };

/**
 * Runs a plan against Docker, step by step. On failure or interrupt it removes what this run made (by
 * its run label; unless told to keep it) and throws a LabError: for a failed step it names the node, the
 * command, its exit code and stderr; for an interrupt it says what was removed or kept (exit 130/143).
 */
export async function up(plan: Plan, runtime: DockerRuntime, listener: UpListener, opts: UpOptions = {}): Promise<void> {
  const runId = plan.runId ?? newRunId();
  const run = { ...plan, runId };
  listener.note(`Run ${runId}: everything it makes carries the label ${LABEL.run}=${runId}.`);
  const progress = trackPhases(listener);
  let received: NodeJS.Signals | undefined;
  void opts.interrupted?.then((signal) => (received = signal));
  const probes = new ProbeSession(runtime, runId);
  const work = bringUp(run, runtime, progress.listener, probes, opts);
  const never = new Promise<never>(() => undefined);
  const outcome: Outcome = await Promise.race([
    work.then((): Outcome => ({ kind: 'done' }), (error: unknown): Outcome => ({ kind: 'failed', error })),
    (opts.interrupted ?? never).then((signal): Outcome => ({ kind: 'interrupted', signal })),
  ]);
  if (outcome.kind === 'done') return;
  if (outcome.kind === 'interrupted') {
    work.catch(() => undefined); // it fails once creates are refused; the interrupt is what gets reported
    throw await afterInterrupt(run, runtime, probes, outcome.signal, progress.where(), opts.keepOnFailure === true);
  }
  // Before the first step nothing was made (doctor's probes remove themselves).
  const cleaned = progress.started() ? await cleanUp(run, runtime, opts.keepOnFailure === true) : NOTHING_MADE;
  // Ctrl-C while a failure was being cleaned up: the user stopped it, so report that (exit 130/143).
  if (received) throw interruptError(received, progress.where(), cleaned);
  const next = opts.keepOnFailure || cleaned.failed ? cleaned.fix : '--keep-on-failure keeps it for a look.';
  if (progress.started()) listener.note(`${cleaned.said} ${next}`);
  throw outcome.error;
}

async function bringUp(
  plan: Plan & { runId: string },
  runtime: DockerRuntime,
  listener: UpListener,
  probes: ProbeSession,
  opts: UpOptions,
): Promise<void> {
  await preflight(plan, runtime, listener);
  // The checks of `lab doctor`, before anything is made: stop with the fix rather than half-way.
  if (!opts.skipDoctor) {
    listener.note('Checking the environment (the checks of `lab doctor`)...');
    const rows = await runDoctor(runtime, plan.scenario, undefined, { probes, checks: CHECKS_AFTER_PREFLIGHT });
    const failure = doctorFailure(rows);
    if (failure) throw failure;
  }
  await executeSteps(plan, runtime, listener);
}

/** The listener, passed through, remembering the phase reached (to say where an interrupt landed). */
function trackPhases(listener: UpListener): { listener: UpListener; where: () => string; started: () => boolean } {
  let current: Phase | undefined;
  const tracking: UpListener = {
    phase: (phase) => {
      current = phase;
      listener.phase(phase);
    },
    stepStart: (step) => listener.stepStart(step),
    stepDone: (step, outcome) => listener.stepDone(step, outcome),
    stepFailed: (step, outcome) => listener.stepFailed(step, outcome),
    note: (message) => listener.note(message),
  };
  return {
    listener: tracking,
    where: () => (current ? `"${PHASES[current]}"` : 'the checks before anything is made'),
    started: () => current !== undefined,
  };
}

/** No new object from now on, the doctor's probes gone, then what the run made removed (or kept). */
async function afterInterrupt(
  plan: Plan & { runId: string },
  runtime: DockerRuntime,
  probes: ProbeSession,
  signal: NodeJS.Signals,
  where: string,
  keep: boolean,
): Promise<LabError> {
  await probes.interrupt(new LabError(`Interrupted by ${signal}.`, { exitCode: signalExitCode(signal) }));
  return interruptError(signal, where, await cleanUp(plan, runtime, keep));
}

function interruptError(signal: NodeJS.Signals, where: string, cleaned: Cleaned): LabError {
  const exitCode = signalExitCode(signal);
  return new LabError(`Interrupted by ${signal} during ${where}. ${cleaned.said}`, { exitCode, hint: cleaned.fix });
}

/** What a cleanup did, and what to do next. */
interface Cleaned {
  said: string;
  fix: string;
  /** The engine did not let it: something may be left. */
  failed?: boolean;
}
const NOTHING_MADE: Cleaned = {
  said: 'This run had made nothing yet: nothing is left.',
  fix: 'Nothing to clean up; run `lab up` again when ready.',
};

/** `2 containers (rs1, rs2)`, `1 network (lvs_dr)`, `0 networks`. */
const named = (what: string, names: string[]) =>
  `${names.length} ${what}${names.length === 1 ? '' : 's'}${names.length ? ` (${names.join(', ')})` : ''}`;

/** Removes (or, keeping, lists) what this run made; says what, and what to do next. Never throws. */
async function cleanUp(plan: Plan & { runId: string }, runtime: DockerRuntime, keep: boolean): Promise<Cleaned> {
  try {
    const made = keep ? await listRun(runtime, plan.runId) : await teardownRun(runtime, plan.runId);
    const what = `${named('container', made.containers)}, ${named('network', made.networks)}`;
    if (made.containers.length + made.networks.length === 0) return NOTHING_MADE;
    const look = `Look around with \`lab status\`; remove it with \`lab teardown ${plan.lab}\`.`;
    if (keep) return { said: `Kept what this run made (${what}).`, fix: look };
    return { said: `Removed what this run made (${what}).`, fix: 'Nothing of this run is left; run `lab up` again when ready.' };
  } catch (err) {
    const why = err instanceof LabError ? err.message : errorMessage(err);
    return {
      failed: true,
      said: `Could not remove what this run made: ${why}`,
      fix: `Once the engine answers, remove what is left with \`lab teardown ${plan.lab}\` (\`lab status\` shows it).`,
    };
  }
}

/** Runs steps in order, telling the listener about phases and steps; the first failure throws. */
export async function executeSteps(plan: Plan, runtime: DockerRuntime, listener: UpListener): Promise<void> {
  let phase: Step['phase'] | undefined;
  for (const step of plan.steps) {
    if (step.phase !== phase) {
      phase = step.phase;
      listener.phase(phase);
    }
    listener.stepStart(step);
    const outcome = await runStep(plan, runtime, step, listener);
    listener.stepDone(step, outcome);
  }
}

/**
 * A create failed: if this lab's object of that name now exists, made by another run, two `up`s raced
 * (the engine lets one create a name, or a subnet, and refuses the other): say so. Else the caller's error stands.
 */
async function raceLost(plan: Plan, runtime: DockerRuntime, kind: ObjectKind, name: string): Promise<void> {
  if (await madeByAnotherRun(plan, runtime, kind, name)) {
    throw environmentError(
      `Lab ${plan.lab} is being brought up by another \`lab up\`, or is already up: its ${kind} ${name} was made by another run.`,
      'Leave that run alone; once it is done, check the lab with `lab status` or ' +
        `\`lab verify ${plan.lab}\`, or remove it with \`lab teardown ${plan.lab}\`.`,
    );
  }
}

type ObjectKind = 'network' | 'container';
const RACE_LOOKS = 10;
const RACE_LOOK_INTERVAL_MS = 200;

/**
 * Does the engine list this lab's object of that name, made by another run? The winner's create may still
 * be on its way (its subnet reserved, its name not yet listed), so look a few times; a failed list is a no.
 */
async function madeByAnotherRun(plan: Plan, runtime: DockerRuntime, kind: ObjectKind, name: string): Promise<boolean> {
  const mine = labMade({ key: LABEL.lab, value: plan.lab });
  for (let look = 0; look < RACE_LOOKS; look++) {
    const found = await (kind === 'network' ? runtime.listNetworks(mine) : runtime.listContainers(mine)).catch(() => undefined);
    if (!found) return false;
    if (found.some((o) => o.name === name && o.labels[LABEL.run] !== plan.runId)) return true;
    await sleep(RACE_LOOK_INTERVAL_MS);
  }
  return false;
}

/** A LabError stays as it is; anything else the engine said becomes exit 3 with where to look. */
function engineRefused(what: string, err: unknown): LabError {
  if (err instanceof LabError) return err;
  const fix = 'Look at the engine: `docker info`, and that the image runs (`docker run --rm IMAGE true`); then `lab up` again.';
  return environmentError(`${what}: ${errorMessage(err)}`, fix);
}

async function runStep(plan: Plan, runtime: DockerRuntime, step: Step, listener: UpListener): Promise<StepOutcome> {
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  switch (step.kind) {
    case 'network':
      await runtime.createNetwork(step.network).catch(async (err: unknown) => {
        await raceLost(plan, runtime, 'network', step.network.name);
        throw engineRefused(`Docker could not create network ${step.network.name}`, err);
      });
      return { seconds: seconds() };
    case 'container':
      await runtime.runContainer(step.container).catch(async (err: unknown) => {
        await raceLost(plan, runtime, 'container', step.node);
        throw engineRefused(`Docker could not start ${step.node}`, err);
      });
      return { seconds: seconds() };
    case 'wait-init':
      return waitForSystemd(runtime, step.node);
    case 'exec': {
      const r = await runtime.exec(step.node, step.argv, { timeoutMs: EXEC_TIMEOUT_MS });
      const outcome = { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr, seconds: seconds() };
      if (r.exitCode === 0) return outcome;
      listener.stepFailed(step, outcome);
      const output = `${r.stderr}\n${r.stdout}`;
      if ((step.kernelCheck === 'ipvs' || step.argv[0] === 'ipvsadm') && NO_IPVS_PATTERN.test(output)) {
        throw noIpvsError(plan.scenario, r.stderr || r.stdout);
      }
      if (/Cannot find device "?tunl0/.test(output)) throw environmentError(`${NO_IPIP.message}.`, NO_IPIP.fix);
      throw new LabError(`Step failed on ${step.node}: \`${step.command}\` exited ${r.timedOut ? 'by timeout' : r.exitCode}.`, {
        exitCode: ExitCode.checkFailed,
        details: [r.stderr.trim() || r.stdout.trim() || '(no output)'],
        hint: `Why this step: ${step.why} Bring it up with --keep-on-failure and look around with \`lab shell ${step.node}\`.`,
      });
    }
  }
}
