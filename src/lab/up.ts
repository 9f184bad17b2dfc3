import { environmentError, ExitCode, LabError } from '../errors.js';
import { PassThrough } from 'node:stream';
import { NO_IPVS_PATTERN } from '../lvs/ipvsadm.js';
import { director, realServers } from '../scenario/model.js';
import { batchScript, batchWatcher, splitBatchOutput } from './batch.js';
import { PHASES, type Phase, type Plan, type Step } from '../plan/types.js';
import { errorMessage, sleep, type DockerRuntime } from '../runtime/docker.js';
import { loadIpvsFix } from '../lvs/modules.js';
import { doctorFailure, engineContainers, engineNetworks, namesCheck, removeLiveProbes, runDoctor } from '../doctor/checks.js';
import type { Scenario } from '../scenario/schema.js';
import { shipped } from '../package.js';
import type { StepOutcome, UpListener } from './events.js';
import { buildDebianRootfs, DEBIAN_IMAGE, importRootfs } from './images.js';
import { LABEL, labMade, newRunId } from './labels.js';
import { listRun, teardownRun } from './teardown.js';

const SYSTEMD_BOOT_TIMEOUT_MS = 120_000;
const EXEC_TIMEOUT_MS = 120_000;

function noIpvsError(scenario: Scenario, output: string): LabError {
  return environmentError(
    `The kernel under Docker has no IPVS: ipvsadm on the director says "${output.trim().split('\n')[0]}". ` +
      'IPVS lives in the host kernel and a container cannot load it.',
    loadIpvsFix(scenario),
  );
}

/**
 * Before touching anything: no name taken (the `names` check of `lab doctor`, where "already up" also
 * stops), then the images, building the default one if it is missing.
 */
async function preflight(plan: Plan, runtime: DockerRuntime, listener: UpListener): Promise<void> {
  const [containers, networks] = await Promise.all([engineContainers(runtime), engineNetworks(runtime)]);
  const clash = doctorFailure([namesCheck(plan.scenario, containers, networks)], { failOnWarn: ['names'] });
  if (clash) throw clash;
  const images = [...new Set(plan.steps.flatMap((s) => (s.kind === 'container' ? [s.container.image] : [])))];
  for (const image of images) {
    if (await runtime.imageExists(image)) continue;
    if (image === DEBIAN_IMAGE) {
      // The default image can always be made here, from Debian packages: do it rather than fail.
      listener.note(`Image ${image} is missing: building it from Debian packages (once; see ${shipped('images/README.md')})...`);
      const tar = await buildDebianRootfs({ onLine: (line) => listener.note(`  ${line}`) });
      await importRootfs(runtime, tar, image);
      listener.note(`Image ${image} imported.`);
    } else {
      throw environmentError(
        `Image ${image} is not in this Docker engine.`,
        `Build it (\`docker build -t ${image} images/...\`), import it (\`lab images import TAR --tag ${image}\`), or use the default lvs-lab/debian:bookworm, which lab builds itself.`,
      );
    }
  }
}

async function waitForSystemd(runtime: DockerRuntime, node: string): Promise<StepOutcome> {
  const started = performance.now();
  const left = () => SYSTEMD_BOOT_TIMEOUT_MS - (performance.now() - started);
  let last = '';
  while (left() > 0) {
    // --wait returns once the boot is done: one exec instead of a poll every 300 ms (each exec costs time).
    // Before systemd listens at all it answers at once ("offline"): then look again shortly.
    const r = await runtime.exec(node, ['systemctl', 'is-system-running', '--wait'], { timeoutMs: Math.max(left(), 1000) });
    last = (r.stdout + r.stderr).trim();
    // "degraded" still means booted: some unit failed, but systemctl works.
    if (/^(running|degraded)$/m.test(last)) return { exitCode: 0, stdout: last, seconds: (performance.now() - started) / 1000 };
    await sleep(200);
  }
  throw new LabError(`systemd on ${node} did not finish booting in ${SYSTEMD_BOOT_TIMEOUT_MS / 1000} s (last state: ${last || 'none'}).`, {
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
  const work = bringUp(run, runtime, progress.listener, opts);
  const never = new Promise<never>(() => undefined);
  const outcome: Outcome = await Promise.race([
    work.then((): Outcome => ({ kind: 'done' }), (error: unknown): Outcome => ({ kind: 'failed', error })),
    (opts.interrupted ?? never).then((signal): Outcome => ({ kind: 'interrupted', signal })),
  ]);
  if (outcome.kind === 'done') return;
  if (outcome.kind === 'interrupted') {
    work.catch(() => undefined); // it fails once creates are refused; the interrupt is what gets reported
    throw await afterInterrupt(run, runtime, outcome.signal, progress.where(), opts.keepOnFailure === true);
  }
  // Before the first step nothing was made (doctor's probes remove themselves).
  const cleaned = progress.started() ? await cleanUp(run, runtime, opts.keepOnFailure === true) : NOTHING_MADE;
  // Ctrl-C while a failure was being cleaned up: the user stopped it, so report that (exit 130/143).
  if (received) throw interruptError(received, progress.where(), cleaned);
  if (progress.started()) listener.note(`${cleaned.said} ${opts.keepOnFailure || cleaned.failed ? cleaned.fix : '--keep-on-failure keeps it for a look.'}`);
  throw outcome.error;
}

async function bringUp(plan: Plan & { runId: string }, runtime: DockerRuntime, listener: UpListener, opts: UpOptions): Promise<void> {
  await preflight(plan, runtime, listener);
  // The checks of `lab doctor`, before anything is made: stop with the fix rather than half-way.
  if (!opts.skipDoctor) {
    listener.note('Checking the environment (the checks of `lab doctor`)...');
    const failure = doctorFailure(await runDoctor(runtime, plan.scenario, undefined, { runId: plan.runId, probes: upProbes(plan.scenario) }));
    if (failure) throw failure;
  }
  await executeSteps(plan, runtime, listener, { concurrent: true });
}

/**
 * The doctor's probe containers cost seconds each, and `up`'s own steps check the same: a refused
 * --privileged stops the first container, a missing IPVS or scheduler module the director's `ipvsadm`
 * (each exit 3 with the doctor's fix). keepalived fills the table itself, with no `ipvsadm -A` to catch a
 * missing scheduler: there the IPVS probe stays.
 */
const upProbes = (scenario: Scenario): Array<'ipvs' | 'privileged'> => (scenario.service.manager === 'keepalived' ? ['ipvs'] : []);

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
async function afterInterrupt(plan: Plan & { runId: string }, runtime: DockerRuntime, signal: NodeJS.Signals, where: string, keep: boolean): Promise<LabError> {
  await runtime.refuseCreates(new LabError(`Interrupted by ${signal}.`, { exitCode: signalExitCode(signal) }));
  await removeLiveProbes(runtime);
  return interruptError(signal, where, await cleanUp(plan, runtime, keep));
}

const signalExitCode = (signal: NodeJS.Signals) => (signal === 'SIGTERM' ? ExitCode.terminated : ExitCode.interrupted);

function interruptError(signal: NodeJS.Signals, where: string, cleaned: Cleaned): LabError {
  return new LabError(`Interrupted by ${signal} during ${where}. ${cleaned.said}`, { exitCode: signalExitCode(signal), hint: cleaned.fix });
}

/** What a cleanup did, and what to do next. */
interface Cleaned {
  said: string;
  fix: string;
  /** The engine did not let it: something may be left. */
  failed?: boolean;
}
const NOTHING_MADE: Cleaned = { said: 'This run had made nothing yet: nothing is left.', fix: 'Nothing to clean up; run `lab up` again when ready.' };

// Sorted: containers start at once, so the engine's order (by creation) says nothing.
const named = (what: string, names: string[]) => `${names.length} ${what}${names.length === 1 ? '' : 's'}${names.length ? ` (${[...names].sort().join(', ')})` : ''}`;

/** Removes (or, keeping, lists) what this run made; says what, and what to do next. Never throws. */
async function cleanUp(plan: Plan & { runId: string }, runtime: DockerRuntime, keep: boolean): Promise<Cleaned> {
  try {
    const made = keep ? await listRun(runtime, plan.runId) : await teardownRun(runtime, plan.runId);
    const what = `${named('container', made.containers)}, ${named('network', made.networks)}`;
    if (made.containers.length + made.networks.length === 0) return NOTHING_MADE;
    if (keep) return { said: `Kept what this run made (${what}).`, fix: `Look around with \`lab status\`; remove it with \`lab teardown ${plan.lab}\`.` };
    return { said: `Removed what this run made (${what}).`, fix: 'Nothing of this run is left; run `lab up` again when ready.' };
  } catch (err) {
    const why = err instanceof LabError ? err.message : errorMessage(err);
    return { failed: true, said: `Could not remove what this run made: ${why}`, fix: `Once the engine answers, remove what is left with \`lab teardown ${plan.lab}\` (\`lab status\` shows it).` };
  }
}

/**
 * Runs a plan's steps, telling the listener about phases and steps in the plan's order whatever order they
 * ran in; the first failure (in plan order) throws. Consecutive commands on one node share one exec (each
 * still reported on its own, with its exit code). With `concurrent` (bringing a lab up), the networks come
 * first, then every node's steps go at once, each node on its own: started, booted, then its commands.
 */
export async function executeSteps(plan: Plan, runtime: DockerRuntime, listener: UpListener, opts: { concurrent?: boolean } = {}): Promise<void> {
  const report = new InOrder(plan.steps, listener);
  const failures: Array<{ step: Step; error: unknown }> = [];
  const runChain = async (steps: Step[], after?: Promise<unknown>) => {
    for (const group of groupExecs(steps)) {
      if (after && group.some((s) => s.kind === 'exec')) await after;
      if (failures.length) return; // another node failed: start nothing more
      try {
        await runGroup(plan, runtime, group, report);
      } catch (error) {
        failures.push({ step: group.find((s) => report.failedStep(s)) ?? group[0]!, error });
        return;
      }
    }
  };
  if (opts.concurrent) {
    await runChain(plan.steps.filter((s) => s.kind === 'network'));
    if (!failures.length) await runConcurrently(plan, nodeChains(plan), runChain);
  } else {
    await runChain(plan.steps);
  }
  report.flush();
  if (failures.length) {
    const index = (f: { step: Step }) => plan.steps.indexOf(f.step);
    throw failures.sort((a, b) => index(a) - index(b))[0]!.error;
  }
}

/**
 * Every node's chain at once. keepalived fills the table only once the real servers answer its health
 * checks: a keepalived director's commands wait for the real servers' chains.
 */
async function runConcurrently(plan: Plan, chains: Step[][], runChain: (steps: Step[], after?: Promise<unknown>) => Promise<void>): Promise<void> {
  const dir = director(plan.scenario).name;
  const nodeOf = (chain: Step[]) => (chain[0] && 'node' in chain[0] ? chain[0].node : undefined);
  const waitsForRealServers = plan.scenario.service.manager === 'keepalived';
  const isRealServer = (chain: Step[]) => realServers(plan.scenario).some((rs) => rs.name === nodeOf(chain));
  const others = chains.filter((c) => nodeOf(c) !== dir).map((c) => ({ chain: c, done: runChain(c) }));
  const realServersDone = Promise.all(others.filter((o) => isRealServer(o.chain)).map((o) => o.done));
  await Promise.all([...others.map((o) => o.done), ...chains.filter((c) => nodeOf(c) === dir).map((c) => runChain(c, waitsForRealServers ? realServersDone : undefined))]);
}

/** Each node's steps (its container, boot, commands), in plan order; networks are not in any. */
function nodeChains(plan: Plan): Step[][] {
  const byNode = new Map<string, Step[]>();
  for (const step of plan.steps) if (step.kind !== 'network') byNode.set(step.node, [...(byNode.get(step.node) ?? []), step]);
  return [...byNode.values()];
}

type ExecStep = Extract<Step, { kind: 'exec' }>;

/** Steps in order, with consecutive execs on one node as one group; every other step alone. */
function groupExecs(steps: Step[]): Step[][] {
  const groups: Step[][] = [];
  for (const step of steps) {
    const last = groups.at(-1);
    if (step.kind === 'exec' && last?.[0]?.kind === 'exec' && last[0].node === step.node) last.push(step);
    else groups.push([step]);
  }
  return groups;
}

async function runGroup(plan: Plan, runtime: DockerRuntime, group: Step[], report: InOrder): Promise<void> {
  if (group[0]!.kind === 'exec') return runExecs(plan, runtime, group as ExecStep[], report);
  const step = group[0]!;
  report.started(step);
  report.done(step, await runStep(plan, runtime, step));
}

/** One exec for a node's consecutive commands; each reported with its own output, exit code and time. */
async function runExecs(plan: Plan, runtime: DockerRuntime, steps: ExecStep[], report: InOrder): Promise<void> {
  const { script, token } = batchScript(steps.map((s) => s.argv));
  const times = steps.map(() => ({ start: performance.now(), end: performance.now() }));
  const watch = batchWatcher(token, {
    start: (i) => {
      times[i]!.start = performance.now();
      report.started(steps[i]!);
    },
    end: (i) => (times[i]!.end = performance.now()),
  });
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks = { out: [] as Buffer[], err: [] as Buffer[] };
  out.on('data', (c: Buffer) => {
    chunks.out.push(c);
    watch(c.toString('utf8'));
  });
  err.on('data', (c: Buffer) => chunks.err.push(c));
  const r = await runtime.execStream(steps[0]!.node, ['sh', '-c', script], { stdout: out, stderr: err }, { timeoutMs: EXEC_TIMEOUT_MS * steps.length });
  const rawErr = Buffer.concat(chunks.err).toString('utf8');
  const stdout = splitBatchOutput(Buffer.concat(chunks.out).toString('utf8'), token, steps.length);
  const stderr = splitBatchOutput(rawErr, token, steps.length);
  for (const [i, step] of steps.entries()) {
    const part = stdout[i]!;
    const finished = part.exitCode !== undefined;
    report.started(step);
    const seconds = ((finished ? times[i]!.end : performance.now()) - times[i]!.start) / 1000;
    if (part.exitCode === 0) {
      report.done(step, { exitCode: 0, stdout: part.output, stderr: stderr[i]!.output, seconds });
      continue;
    }
    // Cut short (a timeout, a killed shell) or never reached by a shell that failed: the exec's own code is its.
    const exitCode = part.exitCode ?? (r.exitCode === 0 ? 1 : r.exitCode);
    const outcome = { exitCode, stdout: part.output, stderr: part.started ? stderr[i]!.output : rawErr, seconds };
    report.failed(step, outcome);
    throw stepError(plan, step, { ...outcome, timedOut: r.timedOut && !finished });
  }
}

/**
 * Passes step events on to the listener in plan order: a step is told once every step before it was.
 * `flush` tells what is left (after a failure: the steps that ran, then the failed one last).
 */
class InOrder {
  private readonly seen = new Map<Step, { outcome?: StepOutcome; failed?: boolean }>();
  private next = 0;
  private told = new Set<Step>();
  private phase: Phase | undefined;

  constructor(private readonly steps: Step[], private readonly listener: UpListener) {}

  started(step: Step): void {
    if (!this.seen.has(step)) this.seen.set(step, {});
    this.drain();
  }
  done(step: Step, outcome: StepOutcome): void {
    this.seen.set(step, { outcome });
    this.drain();
  }
  failed(step: Step, outcome: StepOutcome): void {
    this.seen.set(step, { outcome, failed: true });
  }
  failedStep(step: Step): boolean {
    return this.seen.get(step)?.failed === true;
  }
  flush(): void {
    const left = this.steps.slice(this.next).filter((s) => this.seen.get(s)?.outcome);
    for (const step of [...left.filter((s) => !this.failedStep(s)), ...left.filter((s) => this.failedStep(s))]) this.tell(step);
  }

  private drain(): void {
    for (; this.next < this.steps.length; this.next++) {
      const step = this.steps[this.next]!;
      const state = this.seen.get(step);
      if (!state) return;
      this.announce(step);
      if (!state.outcome || state.failed) return;
      this.tell(step);
    }
  }
  private announce(step: Step): void {
    if (this.told.has(step)) return;
    this.told.add(step);
    if (step.phase !== this.phase) {
      this.phase = step.phase;
      this.listener.phase(step.phase);
    }
    this.listener.stepStart(step);
  }
  private tell(step: Step): void {
    const { outcome, failed } = this.seen.get(step)!;
    this.announce(step);
    if (failed) this.listener.stepFailed(step, outcome!);
    else this.listener.stepDone(step, outcome!);
  }
}

/**
 * A create failed: if this lab's object of that name now exists, made by another run, two `up`s raced
 * (the engine lets one create a name, or a subnet, and refuses the other): say so. Else the caller's error stands.
 */
async function raceLost(plan: Plan, runtime: DockerRuntime, kind: 'network' | 'container', name: string): Promise<void> {
  if (await madeByAnotherRun(plan, runtime, kind, name)) {
    throw environmentError(
      `Lab ${plan.lab} is being brought up by another \`lab up\`, or is already up: its ${kind} ${name} was made by another run.`,
      `Leave that run alone; once it is done, check the lab with \`lab status\` or \`lab verify ${plan.lab}\`, or remove it with \`lab teardown ${plan.lab}\`.`,
    );
  }
}

const RACE_LOOKS = 10;
const RACE_LOOK_INTERVAL_MS = 200;

/**
 * Does the engine list this lab's object of that name, made by another run? The winner's create may still
 * be on its way (its subnet reserved, its name not yet listed), so look a few times; a failed list is a no.
 */
async function madeByAnotherRun(plan: Plan, runtime: DockerRuntime, kind: 'network' | 'container', name: string): Promise<boolean> {
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
  return environmentError(`${what}: ${errorMessage(err)}`, 'Look at the engine: `docker info`, and that the image runs (`docker run --rm IMAGE true`); then `lab up` again.');
}

async function runStep(plan: Plan, runtime: DockerRuntime, step: Step): Promise<StepOutcome> {
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
      throw stepError(plan, step, { ...outcome, timedOut: r.timedOut });
    }
  }
}

/** A command that failed: a missing kernel part is exit 3 with its fix; anything else names the command (exit 1). */
function stepError(plan: Plan, step: ExecStep, r: StepOutcome & { timedOut: boolean }): LabError {
  const output = `${r.stderr}\n${r.stdout}`;
  if ((step.probe === 'ipvs' || step.argv[0] === 'ipvsadm') && NO_IPVS_PATTERN.test(output)) return noIpvsError(plan.scenario, r.stderr || r.stdout || '');
  if (/Cannot find device "?tunl0/.test(output)) {
    return environmentError('The kernel under Docker has no ipip module: tunl0 does not exist.', 'On the Docker host run `sudo modprobe ipip`, then bring the lab up again.');
  }
  if (step.argv[0] === 'ipvsadm' && /Scheduler not found/i.test(output)) {
    const scheduler = plan.scenario.service.scheduler;
    return environmentError(`IPVS works but scheduler ${scheduler} does not load: \`${step.command}\` says "${output.trim().split('\n')[0]}".`, `On the Docker host run \`sudo modprobe ip_vs_${scheduler}\`; each scheduler is its own module.`);
  }
  return new LabError(`Step failed on ${step.node}: \`${step.command}\` exited ${r.timedOut ? 'by timeout' : r.exitCode}.`, {
    exitCode: ExitCode.checkFailed,
    details: [r.stderr?.trim() || r.stdout?.trim() || '(no output)'],
    hint: `Why this step: ${step.why} Bring it up with --keep-on-failure and look around with \`lab shell ${step.node}\`.`,
  });
}
