import { Command } from 'commander';
import * as z from 'zod';
import { resetLab } from '../lab/reset.js';
import { formatPlan, planToJson } from '../plan/format.js';
import { examples } from './help.js';
import { parseOptions } from './options.js';
import { terminalWidth, writeJson } from './output.js';
import { createProgress, recordedSteps } from './progress.js';

const options = z.object({
  verbose: z.boolean().default(false),
  json: z.boolean().default(false),
  dryRun: z.boolean().default(false),
});

export const resetCommand = new Command('reset')
  .description('bring a running lab back to its just-built state (IPVS table, kernel settings, VIPs, pages, services), '
    + 'keeping its containers')
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
    const progress = await createProgress(opts);
    const started = performance.now();
    const { lab, plan } = await resetLab(ref, opts.dryRun, progress);
    const seconds = Number(((performance.now() - started) / 1000).toFixed(1));
    if (opts.dryRun && opts.json) writeJson(command, { ok: true, dryRun: true, ...planToJson(plan) });
    else if (opts.dryRun) process.stdout.write(`${formatPlan(plan, { width: terminalWidth() })}\n`);
    else if (opts.json) writeJson(command, { ok: true, dryRun: false, lab, seconds, steps: recordedSteps(progress) });
    else process.stdout.write(`Lab ${lab} is reset (${seconds} s, ${plan.steps.length} steps). Check it: lab verify ${lab}\n`);
  });
