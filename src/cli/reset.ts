import { Command } from 'commander';
import { z } from 'zod';
import { findLab } from '../lab/find.js';
import { labResetPlan, resetLab } from '../lab/reset.js';
import { formatPlan, planToJson } from '../plan/format.js';
import { DockerRuntime } from '../runtime/docker.js';
import { examples } from './help.js';
import { parseOptions } from './options.js';
import { terminalWidth, writeJson } from './output.js';
import { createProgress, JsonProgress } from './progress.js';

const options = z.object({ verbose: z.boolean().default(false), json: z.boolean().default(false), dryRun: z.boolean().default(false) });

export const resetCommand = new Command('reset')
  .description('bring a running lab back to its just-built state (IPVS table, kernel settings, VIPs, pages, services), keeping its containers')
  .argument('[lab]', 'the lab (default: the only one running)')
  .option('-v, --verbose', 'show each command\'s output')
  .option('--dry-run', 'print the commands without running them')
  .option('--json', 'one JSON document on stdout: { schema, ok, lab, seconds, steps } (with --dry-run: the plan)')
  .addHelpText('after', examples(
    ['lab reset rr-basic', 'undo what was changed by hand, then `lab verify rr-basic`'],
    ['lab reset rr-basic --dry-run', 'the commands it would run, with their reasons'],
  ))
  .action(async (ref: string | undefined, raw, command: Command) => {
    const opts = parseOptions(options, raw);
    const runtime = await DockerRuntime.connect();
    const lab = await findLab(runtime, ref);
    const plan = labResetPlan(lab);
    if (opts.dryRun) {
      if (opts.json) writeJson(command, { ok: true, dryRun: true, ...planToJson(plan) });
      else process.stdout.write(`${formatPlan(plan, { width: terminalWidth() })}\n`);
      return;
    }
    const progress = await createProgress(opts);
    const started = performance.now();
    try {
      await resetLab(runtime, plan, progress);
      progress.finish(true);
    } catch (err) {
      progress.finish(false);
      throw err;
    }
    const seconds = (performance.now() - started) / 1000;
    if (opts.json) writeJson(command, { ok: true, dryRun: false, lab: lab.name, seconds: Number(seconds.toFixed(1)), steps: progress instanceof JsonProgress ? progress.steps : [] });
    else process.stdout.write(`Lab ${lab.name} is reset (${seconds.toFixed(1)} s, ${plan.steps.length} steps). Check it: lab verify ${lab.name}\n`);
  });
