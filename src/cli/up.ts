import { Command } from 'commander';
import * as z from 'zod';
import { ExitCode } from '../errors.js';
import { bringUp, planWithoutChanges, type BroughtUp } from '../lab/bring-up.js';
import { formatPlan, planToJson } from '../plan/format.js';
import { INSTANCE_NAME, INSTANCE_NAME_RULE } from '../scenario/instance.js';
import { INIT_SETTINGS, PRIVILEGE_SETTINGS } from '../scenario/schema.js';
import { formatVerifyReport } from '../verify/report.js';
import { examples } from './help.js';
import { parseOptions, requestCount, scenarioOverrides } from './options.js';
import { terminalWidth, writeJson } from './output.js';
import { createProgress, recordedSteps, type Progress } from './progress.js';

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
  name: z.string().regex(INSTANCE_NAME, `--name: ${INSTANCE_NAME_RULE}`).optional(),
});
type UpOptions = z.output<typeof upOptions>;

const AUTO_SHOWN = '\n(auto settings shown as privileged + systemd; `lab up` decides them on the engine.)';

export const upCommand = new Command('up')
  .description('build a scenario\'s topology in Docker, run the tutorial\'s commands, then verify the balancing')
  .argument('<scenario>', 'a built-in scenario (`lab list`) or a scenario file')
  .option(
    '--name <name>',
    'bring up instance NAME of the scenario: lab NAME, containers NAME-<node>, networks NAME-<network>, ' +
      'subnets free on the engine; several can run at once',
  )
  .option('--dry-run', 'print the plan (every command, in order, with the reason) without touching Docker')
  .option('-v, --verbose', 'show each command and its output')
  .option(
    '--json',
    'one JSON document on stdout: { schema, ok, lab, seconds, steps, verify } (with --dry-run: the plan)',
  )
  .option('--no-verify', 'skip the verification at the end')
  .option('--requests <n>', 'requests per client the verification sends (default: two rounds of the scheduler)')
  .option('--keep-on-failure', 'leave the containers in place when a step fails, to look around')
  .option('--init <mode>', `override every node's init: ${INIT_SETTINGS.join(' | ')}`)
  .option('--privilege <profile>', `override every node's privileges: ${PRIVILEGE_SETTINGS.join(' | ')}`)
  .option('--image <name>', 'override every node\'s image')
  .option('--no-doctor', 'skip the environment checks `up` runs first (they are `lab doctor`\'s)')
  .option(
    '--egress',
    'let the lab\'s networks route out (default: internal, no way out), e.g. to install packages by hand',
  )
  .addHelpText('after', examples(
    ['lab up rr-basic', 'the tutorial lab: build, configure, verify'],
    ['lab up rr-basic --dry-run', 'every command in order with its reason; touches nothing'],
    ['lab up rr-basic --name alice', 'lab alice: rr-basic with its own containers and subnets, beside others'],
    ['lab up ./my-lab.yaml', 'your own scenario (start from `lab show rr-basic`)'],
    ['lab up rr-basic --privilege capabilities', 'where privileged containers are refused'],
    ['lab up rr-basic --no-verify --json', 'for scripts and CI (then `lab verify --junit`)'],
  ))
  .action(async (ref: string, raw, command: Command) => {
    const opts = parseOptions(upOptions, raw);
    if (opts.dryRun) return printDryRun(command, ref, opts);
    const progress = await createProgress(opts);
    const { keepOnFailure, doctor, verify, requests, name } = opts;
    const done = await bringUp({ ref, overrides: opts, keepOnFailure, doctor, verify, requests, name }, progress);
    printUp(command, done, progress, opts.json);
    if (done.report && !done.report.ok) process.exitCode = ExitCode.checkFailed;
  });

async function printDryRun(command: Command, ref: string, opts: UpOptions): Promise<void> {
  const { plan, autoAssumed } = await planWithoutChanges(ref, opts, opts.name);
  if (opts.json) writeJson(command, { ok: true, dryRun: true, ...planToJson(plan) });
  else process.stdout.write(`${formatPlan(plan, { width: terminalWidth() })}${autoAssumed ? AUTO_SHOWN : ''}\n`);
}

function printUp(command: Command, { plan, seconds, report }: BroughtUp, progress: Progress, json: boolean): void {
  if (json) {
    const steps = recordedSteps(progress);
    const doc = { dryRun: false, lab: plan.lab, seconds: Number(seconds.toFixed(1)), steps, verify: report ?? null };
    writeJson(command, { ok: report?.ok ?? true, ...doc });
    return;
  }
  process.stdout.write(`Lab ${plan.lab} is up (${seconds.toFixed(1)} s, ${plan.steps.length} steps).\n`);
  if (report) process.stdout.write(`\n${formatVerifyReport(report)}\n`);
  const first = plan.scenario.nodes[0]!.name;
  const lab = plan.scenario.instance ? `${plan.lab} ` : '';
  const lookAround = `lab exec ${lab}${first} -- ipvsadm -Lnc, lab shell ${lab}rs1, lab status`;
  process.stdout.write(`\nLook around: ${lookAround}. Remove it: lab teardown ${plan.lab}\n`);
}
