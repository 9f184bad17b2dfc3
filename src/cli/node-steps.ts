import { Command } from 'commander';
import * as z from 'zod';
import { runNodeAction, type NodeAction } from '../lab/node-actions.js';
import { formatPlan, planToJson } from '../plan/format.js';
import { examples } from './help.js';
import { NODE_TARGET_TEXT, NODE_TARGET_USAGE, nodeTarget } from './node-target.js';
import { parseOptions } from './options.js';
import { terminalWidth, writeJson } from './output.js';
import { createProgress, recordedSteps } from './progress.js';

const options = z.object({
  verbose: z.boolean().default(false),
  json: z.boolean().default(false),
  dryRun: z.boolean().default(false),
});

/**
 * A command (`lab GROUP ACTION NODE`) that runs a small plan on one node of a running lab, shown step by step
 * like `up`.
 */
export function nodeStepsCommand(
  group: NodeAction['group'],
  action: NodeAction['action'],
  description: string,
  done: (node: string, lab: string) => string,
): Command {
  return new Command(action)
    .description(description)
    .usage(`[options] ${NODE_TARGET_USAGE}`)
    .argument('<operands...>', `a real server of a running lab: ${NODE_TARGET_TEXT}`)
    .option('-v, --verbose', 'show each command\'s output')
    .option(
      '--json',
      'one JSON document on stdout: { schema, ok, lab, node, action, steps } (with --dry-run: the plan)',
    )
    .option('--dry-run', 'print the commands without running them')
    .addHelpText('after', examples(
      [`lab ${group} ${action} rs1 --dry-run`, 'the commands it would run, with their reasons'],
      [`lab ${group} ${action} rs1`, `${action} it, step by step`],
    ))
    .action(async (operands: string[], raw, command: Command) => {
      const opts = parseOptions(options, raw);
      const { node, lab: asked } = nodeTarget(operands, `\`lab ${group} ${action} rs1\` or \`lab ${group} ${action} alice rs1\``);
      const progress = await createProgress(opts);
      const { lab, plan } = await runNodeAction({ group, action, node, lab: asked, dryRun: opts.dryRun }, progress);
      if (opts.dryRun && opts.json) writeJson(command, { ok: true, dryRun: true, node, action, ...planToJson(plan) });
      else if (opts.dryRun) process.stdout.write(`${formatPlan(plan, { width: terminalWidth() })}\n`);
      else if (opts.json) {
        writeJson(command, { ok: true, dryRun: false, lab, node, action, steps: recordedSteps(progress) });
      }
      else process.stdout.write(`${done(node, lab)}\n`);
    });
}
