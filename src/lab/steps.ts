import { environmentError, ExitCode, LabError } from '../errors.js';
import { LABEL, labMade } from '../labels.js';
import { NO_IPVS_PATTERN } from '../lvs/ipvsadm.js';
import { loadIpvsFix, NO_IPIP, noIpvsMessage } from '../lvs/modules.js';
import { CROSS_NODE_PHASES, type Phase, type Plan, type Step } from '../plan/types.js';
import { errorMessage, sleep, type DockerRuntime } from '../runtime/docker.js';
import { director, realServers } from '../scenario/model.js';
import { nodeContainers } from '../scenario/instance.js';
import type { Scenario } from '../scenario/schema.js';
import { batchScript, batchWatcher, splitBatchOutput } from './batch.js';
import type { StepOutcome, UpListener } from './events.js';

/**
 * Running a plan's steps against Docker (for `up`, `reset`, `rs`/`web` and the live page): each step told
 * to the listener in plan order, with its output and exit code, whatever order or grouping it ran in.
 */

const SYSTEMD_BOOT_TIMEOUT_MS = 120_000;
/**
 * Each lab node running on the engine: time for its share of the CPU. Measured by `bench.sh scale` on one CPU:
 * 3 systemd nodes booting at once took 20 s, 6 took 59 s, 12 over 120 s (10 s each and more): 15 s leaves room.
 */
const BOOT_SHARE_MS = 15_000;
const BOOT_RECOUNT_MS = 30_000;
const EXEC_TIMEOUT_MS = 120_000;

type ExecStep = Extract<Step, { kind: 'exec' }>;

/**
 * Runs a plan's steps; the first failure (in plan order) throws. Consecutive commands on one node share
 * one exec (each still reported on its own, with its exit code). With `concurrent` (bringing a lab up, a
 * reset), the networks come first, then every node's steps go at once, each node on its own: started,
 * booted, then its commands, so a node is configured as soon as it is ready; a cross-node phase waits for
 * everything before it.
 */
export async function executeSteps(
  plan: Plan, runtime: DockerRuntime, listener: UpListener, opts: { concurrent?: boolean } = {},
): Promise<void> {
  runtime = runtime.withContainerNames(nodeContainers(plan.scenario));
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
    for (const segment of barrierSegments(plan.steps)) {
      if (!failures.length) await runChain(segment.filter((s) => s.kind === 'network'));
      if (!failures.length) await runConcurrently(plan, nodeChains(segment), runChain);
    }
  } else {
    await runChain(plan.steps);
  }
  report.flush();
  if (failures.length) {
    const index = (f: { step: Step }) => plan.steps.indexOf(f.step);
    throw failures.sort((a, b) => index(a) - index(b))[0]!.error;
  }
}

type RunChain = (steps: Step[], after?: Promise<unknown>) => Promise<void>;

/**
 * Every node's chain at once. keepalived fills the table only once the real servers answer its health
 * checks: a keepalived director's commands wait for the real servers' chains.
 */
async function runConcurrently(plan: Plan, chains: Step[][], runChain: RunChain): Promise<void> {
  const dir = director(plan.scenario).name;
  const nodeOf = (chain: Step[]) => (chain[0] && 'node' in chain[0] ? chain[0].node : undefined);
  const rsNames = new Set(realServers(plan.scenario).map((rs) => rs.name));
  const others = chains.filter((c) => nodeOf(c) !== dir).map((c) => ({ chain: c, done: runChain(c) }));
  const realServersDone = Promise.all(others.filter((o) => rsNames.has(nodeOf(o.chain) ?? '')).map((o) => o.done));
  const after = plan.scenario.service.manager === 'keepalived' ? realServersDone : undefined;
  const directorChains = chains.filter((c) => nodeOf(c) === dir).map((c) => runChain(c, after));
  await Promise.all([...others.map((o) => o.done), ...directorChains]);
}

/**
 * The plan cut before and after each cross-node phase (see CROSS_NODE_PHASES): a segment starts once every
 * step before it is done; within one, each node goes at its own pace.
 */
function barrierSegments(steps: Step[]): Step[][] {
  const segments: Step[][] = [];
  let current: string | undefined;
  for (const step of steps) {
    const key = CROSS_NODE_PHASES.has(step.phase) ? step.phase : 'per-node';
    if (key !== current) segments.push([]);
    current = key;
    segments.at(-1)!.push(step);
  }
  return segments;
}

/** Each node's steps (its container, boot, commands), in plan order; networks are not in any. */
function nodeChains(steps: Step[]): Step[][] {
  const byNode = new Map<string, Step[]>();
  for (const step of steps) if (step.kind !== 'network') byNode.set(step.node, [...(byNode.get(step.node) ?? []), step]);
  return [...byNode.values()];
}

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
  const step = group[0]!;
  // A node's commands from its first on go to a shell kept open there (again, if one was closed), when the caller keeps a pool.
  if (step.kind === 'exec' || step.kind === 'wait-init') await runtime.keepShell(step.node);
  if (step.kind === 'exec') return runExecs(plan, runtime, group as ExecStep[], report);
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
  const node = steps[0]!.node;
  const r = await runtime
    .exec(node, ['sh', '-c', script], { timeoutMs: EXEC_TIMEOUT_MS * steps.length, onStdout: watch })
    .catch((e: unknown) => Promise.reject(engineRefused(`Docker could not run \`${steps[0]!.command}\` on ${node}`, e)));
  const stdout = splitBatchOutput(r.stdout, token, steps.length);
  const stderr = splitBatchOutput(r.stderr, token, steps.length);
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
    const outcome = { exitCode, stdout: part.output, stderr: part.started ? stderr[i]!.output : r.stderr, seconds };
    report.failed(step, outcome);
    throw stepError(plan.scenario, step, { ...outcome, timedOut: r.timedOut && !finished });
  }
}

/**
 * Passes step events on to the listener in plan order: a step is told once every step before it was.
 * `flush` tells what is left (after a failure: the steps that ran, then the failed one last).
 */
class InOrder {
  private readonly seen = new Map<Step, { outcome?: StepOutcome; failed?: boolean }>();
  private next = 0;
  private readonly told = new Set<Step>();
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

async function runStep(plan: Plan, runtime: DockerRuntime, step: Exclude<Step, ExecStep>): Promise<StepOutcome> {
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
        await raceLost(plan, runtime, 'container', step.container.name);
        throw engineRefused(`Docker could not start ${step.node}`, err);
      });
      return { seconds: seconds() };
    case 'wait-init':
      return waitForSystemd(runtime, step.node);
  }
}

/**
 * How long a node's systemd may take to boot: LVS_LAB_BOOT_TIMEOUT seconds if set; else BOOT_SHARE_MS for
 * every lab node running on the engine, at least 120 s. Nodes booting at once share
 * the engine's CPUs (a class bringing its labs up together on one server): a fixed bound would fail a boot
 * that is only waiting its turn. The bound is there for a boot that never ends (centos:7 on cgroup v2).
 */
export function systemdBootLimitMs(labNodesRunning: number, env: NodeJS.ProcessEnv = process.env): number {
  const seconds = Number(env.LVS_LAB_BOOT_TIMEOUT);
  if (Number.isFinite(seconds) && seconds > 0) return seconds * 1000;
  return Math.max(SYSTEMD_BOOT_TIMEOUT_MS, labNodesRunning * BOOT_SHARE_MS);
}

async function waitForSystemd(runtime: DockerRuntime, node: string): Promise<StepOutcome> {
  const started = performance.now();
  const elapsed = () => performance.now() - started;
  // Other labs' nodes may start while this one boots: counted again every BOOT_RECOUNT_MS.
  const load = { nodes: 0, limit: 0, at: -Infinity };
  const recount = async () => {
    if (elapsed() - load.at < BOOT_RECOUNT_MS) return;
    const running = await runtime.listContainers(labMade());
    load.nodes = running.filter((c) => c.state === 'running').length;
    load.limit = systemdBootLimitMs(load.nodes);
    load.at = elapsed();
  };
  let last = '';
  for (await recount(); elapsed() < load.limit; await recount()) {
    // --wait returns once the boot is done: one exec instead of a poll every 300 ms (each exec costs time).
    // Before systemd listens at all it answers at once ("offline"): then look again shortly.
    const argv = ['systemctl', 'is-system-running', '--wait'];
    const timeoutMs = Math.max(Math.min(load.limit - elapsed(), BOOT_RECOUNT_MS), 1000);
    const r = await runtime
      .exec(node, argv, { timeoutMs })
      .catch((e: unknown) => Promise.reject(engineRefused(`Docker could not run \`${argv.join(' ')}\` on ${node}`, e)));
    last = (r.stdout + r.stderr).trim() || last;
    // "degraded" still means booted: some unit failed, but systemctl works.
    if (/^(running|degraded)$/m.test(last)) return { exitCode: 0, stdout: last, seconds: elapsed() / 1000 };
    await sleep(200);
  }
  throw bootTimedOut(node, load.limit / 1000, load.nodes, last);
}

function bootTimedOut(node: string, limit: number, nodes: number, last: string): LabError {
  const said = `last state: ${last || 'none'}; ${nodes} lab nodes running on this engine`;
  return new LabError(`systemd on ${node} did not finish booting in ${limit.toFixed(0)} s (${said}).`, {
    exitCode: ExitCode.environment,
    hint:
      'On a cgroup v2 host an old systemd (centos:7) cannot boot; use the Debian image, or run with `--init none`. ' +
      'An engine booting many labs at once (a class starting together) may need longer: LVS_LAB_BOOT_TIMEOUT=SECONDS ' +
      `(e.g. 600), or fewer labs at a time. Look inside with \`lab shell ${node}\` (\`systemctl list-jobs\`, \`journalctl -b\`).`,
  });
}

function noIpvsError(scenario: Scenario, output: string): LabError {
  const said = output.trim().split('\n')[0]!;
  return environmentError(`${noIpvsMessage('ipvsadm on the director', said)}.`, loadIpvsFix(scenario));
}

/** A command that failed: a missing kernel part is exit 3 with its fix; anything else names the command (exit 1). */
function stepError(scenario: Scenario, step: ExecStep, r: StepOutcome & { timedOut: boolean }): LabError {
  const output = `${r.stderr}\n${r.stdout}`;
  const ipvsCommand = step.kernelCheck === 'ipvs' || step.argv[0] === 'ipvsadm';
  if (ipvsCommand && NO_IPVS_PATTERN.test(output)) return noIpvsError(scenario, r.stderr || r.stdout || '');
  if (/Cannot find device "?tunl0/.test(output)) return environmentError(`${NO_IPIP.message}.`, NO_IPIP.fix);
  // `up` runs no IPVS probe container (see up.ts): a scheduler module that does not load shows here.
  if (step.argv[0] === 'ipvsadm' && /Scheduler not found/i.test(output)) {
    const { scheduler } = scenario.service;
    return environmentError(
      `IPVS works but scheduler ${scheduler} does not load: \`${step.command}\` says "${output.trim().split('\n')[0]}".`,
      `On the Docker host run \`sudo modprobe ip_vs_${scheduler}\`; each scheduler is its own module.`,
    );
  }
  return new LabError(`Step failed on ${step.node}: \`${step.command}\` exited ${r.timedOut ? 'by timeout' : r.exitCode}.`, {
    exitCode: ExitCode.checkFailed,
    details: [r.stderr?.trim() || r.stdout?.trim() || '(no output)'],
    hint: `Why this step: ${step.why} Bring it up with --keep-on-failure and look around with \`lab shell ${step.node}\`.`,
  });
}

/**
 * A create failed: if this lab's object of that name now exists, made by another run, two `up`s raced
 * (the engine lets one create a name, or a subnet, and refuses the other): say so. Else the caller's error stands.
 */
async function raceLost(plan: Plan, runtime: DockerRuntime, kind: 'network' | 'container', name: string): Promise<void> {
  if (await madeByAnotherRun(plan, runtime, kind, name)) {
    throw environmentError(
      `Lab ${plan.lab} is being brought up by another \`lab up\`, or is already up: its ${kind} ${name} was made by another run.`,
      `Leave that run alone; once it is done, check the lab with \`lab status\` or \`lab verify ${plan.lab}\`, ` +
        `or remove it with \`lab teardown ${plan.lab}\`.`,
    );
  }
}

const RACE_LOOKS = 10;
const RACE_LOOK_INTERVAL_MS = 200;

/**
 * Does the engine list this lab's object of that name, made by another run? The winner's create may still
 * be on its way (its subnet reserved, its name not yet listed), so look a few times; a failed list is a no.
 */
async function madeByAnotherRun(
  plan: Plan, runtime: DockerRuntime, kind: 'network' | 'container', name: string,
): Promise<boolean> {
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
  return environmentError(
    `${what}: ${errorMessage(err)}`,
    'Look at the engine: `docker info`, and that the image runs (`docker run --rm IMAGE true`); then `lab up` again.',
  );
}
