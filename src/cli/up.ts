import { Command } from 'commander';
import { z } from 'zod';
import { ExitCode } from '../errors.js';
import { findLab } from '../lab/find.js';
import { newRunId } from '../lab/labels.js';
import { up } from '../lab/up.js';
import { buildPlan } from '../plan/build.js';
import { formatPlan, planToJson } from '../plan/format.js';
import { DockerRuntime } from '../runtime/docker.js';
import { applyOverrides } from '../scenario/model.js';
import { resolveOnEngine } from '../lab/engine-facts.js';
import { ASSUMED_FACTS, hasAuto, resolveAuto } from '../scenario/auto.js';
import { loadScenario } from '../scenario/load.js';
import { INIT_SETTINGS, PRIVILEGE_SETTINGS } from '../scenario/schema.js';
import { verifyLab } from '../verify/run.js';
import { formatVerifyReport } from '../verify/report.js';
import { examples } from './help.js';
import { catchInterrupts } from './interrupts.js';
import { parseOptions, requestCount, scenarioOverrides } from './options.js';
import { terminalWidth, writeJson } from './output.js';
import { createProgress, JsonProgress } from './progress.js';

const upOptions = z.object({
  dryRun: z.boolean().default(false),
  verbose: z.boolean().default(false),
  json: z.boolean().default(false),
  verify: z.boolean().default(true),
  requests: requestCount.optional(),
  keepOnFailure: z.boolean().default(false),
  ...scenarioOverrides,
  egress: z.boolean().default(false),
  doctor: z.boolean().default(true),
});

export const upCommand = new Command('up')
  .description('build a scenario\'s topology in Docker, run the tutorial\'s commands, then verify the balancing')
  .argument('<scenario>', 'a built-in scenario (`lab list`) or a scenario file')
  .option('--dry-run', 'print the plan (every command, in order, with the reason) without touching Docker')
  .option('-v, --verbose', 'show each command and its output')
  .option('--json', 'one JSON document on stdout: { schema, ok, lab, seconds, steps, verify } (with --dry-run: the plan)')
  .option('--no-verify', 'skip the verification at the end')
  .option('--requests <n>', 'requests per client the verification sends (default: two rounds of the scheduler)')
  .option('--keep-on-failure', 'leave the containers in place when a step fails, to look around')
  .option('--init <mode>', `override every node's init: ${INIT_SETTINGS.join(' | ')}`)
  .option('--privilege <profile>', `override every node's privileges: ${PRIVILEGE_SETTINGS.join(' | ')}`)
  .option('--image <name>', 'override every node\'s image')
  .option('--no-doctor', 'skip the environment checks `up` runs first (they are `lab doctor`\'s)')
  .option('--egress', 'let the lab\'s networks route out (default: internal, no way out), e.g. to install packages by hand')
  .addHelpText('after', examples(
    ['lab up rr-basic', 'the tutorial lab: build, configure, verify'],
    ['lab up rr-basic --dry-run', 'every command in order with its reason; touches nothing'],
    ['lab up ./my-lab.yaml', 'your own scenario (start from `lab show rr-basic`)'],
    ['lab up rr-basic --privilege capabilities', 'where privileged containers are refused'],
    ['lab up rr-basic --no-verify --json', 'for scripts and CI (then `lab verify --junit`)'],
  ))
  .action(async (ref: string, raw, command: Command) => {
    const opts = parseOptions(upOptions, raw);
    const { scenario: fromFile, source } = loadScenario(ref);
    const requested = applyOverrides(fromFile, opts);
    if (opts.dryRun) {
      // No engine to ask: `auto` is shown as the tutorial's choice, and said so.
      const { scenario: assumed } = resolveAuto(requested, ASSUMED_FACTS);
      const plan = buildPlan(assumed, source);
      const note = hasAuto(requested) ? '\n(auto settings shown as privileged + systemd; `lab up` decides them on the engine.)' : '';
      if (opts.json) writeJson(command, { ok: true, dryRun: true, ...planToJson(plan) });
      else process.stdout.write(`${formatPlan(plan, { width: terminalWidth() })}${note}\n`);
      return;
    }
    const runtime = await DockerRuntime.connect();
    const progress = await createProgress(opts);
    // From here on an interrupt cleans up after itself (resolving `auto` already runs probe containers).
    const interrupts = catchInterrupts();
    const started = performance.now();
    let plan;
    try {
      const { scenario, notes } = await resolveOnEngine(runtime, requested);
      notes.forEach((n) => progress.note(`warning: ${n}`));
      plan = buildPlan(scenario, source, newRunId());
      await up(plan, runtime, progress, { keepOnFailure: opts.keepOnFailure, skipDoctor: !opts.doctor, interrupted: interrupts.signal });
      progress.finish(true);
    } catch (err) {
      progress.finish(false);
      throw err;
    } finally {
      interrupts.release();
    }
    const upSeconds = (performance.now() - started) / 1000;
    const report = opts.verify ? await verifyLab(runtime, await findLab(runtime, plan.lab), { requests: opts.requests }) : undefined;
    if (opts.json) {
      const steps = progress instanceof JsonProgress ? progress.steps : [];
      writeJson(command, { ok: report?.ok ?? true, dryRun: false, lab: plan.lab, seconds: Number(upSeconds.toFixed(1)), steps, verify: report ?? null });
    } else {
      process.stdout.write(`Lab ${plan.lab} is up (${upSeconds.toFixed(1)} s, ${plan.steps.length} steps).\n`);
      if (report) process.stdout.write(`\n${formatVerifyReport(report)}\n`);
      process.stdout.write(`\nLook around: lab exec ${plan.scenario.nodes[0]!.name} -- ipvsadm -Lnc, lab shell rs1, lab status. Remove it: lab teardown ${plan.lab}\n`);
    }
    if (report && !report.ok) process.exitCode = ExitCode.checkFailed;
  });
