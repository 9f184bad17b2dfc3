import { environmentError, ExitCode, LabError } from '../errors.js';
import { NO_IPVS_PATTERN } from '../lvs/ipvsadm.js';
import type { Plan, Step } from '../plan/types.js';
import { errorMessage, sleep, type DockerRuntime } from '../runtime/docker.js';
import { loadIpvsFix } from '../lvs/modules.js';
import { doctorFailure, engineContainers, engineNetworks, namesCheck, runDoctor } from '../doctor/checks.js';
import type { Scenario } from '../scenario/schema.js';
import { shipped } from '../package.js';
import type { StepOutcome, UpListener } from './events.js';
import { buildDebianRootfs, DEBIAN_IMAGE, importRootfs } from './images.js';
import { teardown } from './teardown.js';

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
  let last = '';
  while (performance.now() - started < SYSTEMD_BOOT_TIMEOUT_MS) {
    const r = await runtime.exec(node, ['systemctl', 'is-system-running'], { timeoutMs: 20_000 });
    last = (r.stdout + r.stderr).trim();
    // "degraded" still means booted: some unit failed, but systemctl works.
    if (/^(running|degraded)$/m.test(last)) return { exitCode: 0, stdout: last, seconds: (performance.now() - started) / 1000 };
    await sleep(300);
  }
  throw new LabError(`systemd on ${node} did not finish booting in ${SYSTEMD_BOOT_TIMEOUT_MS / 1000} s (last state: ${last || 'none'}).`, {
    exitCode: ExitCode.environment,
    hint:
      'On a cgroup v2 host an old systemd (centos:7) cannot boot; use the Debian image, or run with `--init none`. ' +
      `Look inside with \`lab shell ${node}\` (\`systemctl list-jobs\`, \`journalctl -b\`).`,
  });
}

/**
 * Runs a plan against Docker, step by step. On failure it removes what it made (unless told to keep it)
 * and throws a LabError that names the node, the command, its exit code and stderr.
 */
export async function up(plan: Plan, runtime: DockerRuntime, listener: UpListener, opts: { keepOnFailure?: boolean; skipDoctor?: boolean } = {}): Promise<void> {
  await preflight(plan, runtime, listener);
  // The checks of `lab doctor`, before anything is made: stop with the fix rather than half-way.
  if (!opts.skipDoctor) {
    listener.note('Checking the environment (the checks of `lab doctor`)...');
    const failure = doctorFailure(await runDoctor(runtime, plan.scenario));
    if (failure) throw failure;
  }
  try {
    await executeSteps(plan, runtime, listener);
  } catch (err) {
    if (!opts.keepOnFailure) {
      const removed = await teardown(runtime, plan.lab);
      listener.note(`Removed what this run made (${removed.containers.length} containers, ${removed.networks.length} networks); --keep-on-failure keeps it for a look.`);
    }
    throw err;
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

async function runStep(plan: Plan, runtime: DockerRuntime, step: Step, listener: UpListener): Promise<StepOutcome> {
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  switch (step.kind) {
    case 'network':
      await runtime.createNetwork(step.network);
      return { seconds: seconds() };
    case 'container':
      await runtime.runContainer(step.container).catch((err: unknown) => {
        if (err instanceof LabError) throw err;
        throw new LabError(`Docker could not start ${step.node}: ${errorMessage(err)}`, {
          exitCode: ExitCode.environment,
          hint: 'Run `lab doctor`-style checks by hand: `docker info`, and that the image runs (`docker run --rm IMAGE true`).',
        });
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
      if ((step.probe === 'ipvs' || step.argv[0] === 'ipvsadm') && NO_IPVS_PATTERN.test(output)) throw noIpvsError(plan.scenario, r.stderr || r.stdout);
      if (/Cannot find device "?tunl0/.test(output)) {
        throw environmentError('The kernel under Docker has no ipip module: tunl0 does not exist.', 'On the Docker host run `sudo modprobe ipip`, then bring the lab up again.');
      }
      throw new LabError(`Step failed on ${step.node}: \`${step.command}\` exited ${r.timedOut ? 'by timeout' : r.exitCode}.`, {
        exitCode: ExitCode.checkFailed,
        details: [r.stderr.trim() || r.stdout.trim() || '(no output)'],
        hint: `Why this step: ${step.why} Bring it up with --keep-on-failure and look around with \`lab shell ${step.node}\`.`,
      });
    }
  }
}
