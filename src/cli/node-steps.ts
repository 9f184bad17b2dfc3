import { Command } from 'commander';
import { z } from 'zod';
import { findLab, findNodeContainer } from '../lab/find.js';
import { LABEL } from '../lab/labels.js';
import { executeSteps } from '../lab/up.js';
import { formatPlan, planToJson } from '../plan/format.js';
import type { Plan } from '../plan/types.js';
import { DockerRuntime } from '../runtime/docker.js';
import type { Scenario } from '../scenario/schema.js';
import { examples } from './help.js';
import { parseOptions } from './options.js';
import { terminalWidth, writeJson } from './output.js';
import { createProgress, JsonProgress } from './progress.js';

const options = z.object({ verbose: z.boolean().default(false), json: z.boolean().default(false), dryRun: z.boolean().default(false) });

/** A command (`lab GROUP ACTION NODE`) that runs a small plan on one node of a running lab, shown step by step like `up`. */
export function nodeStepsCommand(
  group: 'rs' | 'web',
  action: 'start' | 'stop',
  description: string,
  planFor: (scenario: Scenario, node: string, action: 'start' | 'stop') => Plan,
  done: (node: string, lab: string) => string,
): Command {
  return new Command(action)
    .description(description)
    .argument('<node>', 'a real server of a running lab (rs1, rs2, ...)')
    .option('-v, --verbose', 'show each command\'s output')
    .option('--json', 'one JSON document on stdout: { schema, ok, lab, node, action, steps } (with --dry-run: the plan)')
    .option('--dry-run', 'print the commands without running them')
    .addHelpText('after', examples(
      [`lab ${group} ${action} rs1 --dry-run`, 'the commands it would run, with their reasons'],
      [`lab ${group} ${action} rs1`, `${action} it, step by step`],
    ))
    .action(async (node: string, raw, command: Command) => {
      const opts = parseOptions(options, raw);
      const runtime = await DockerRuntime.connect();
      const container = await findNodeContainer(runtime, node);
      const lab = await findLab(runtime, container.labels[LABEL.lab]);
      const plan = planFor(lab.scenario, node, action);
      if (opts.dryRun) {
        if (opts.json) writeJson(command, { ok: true, dryRun: true, node, action, ...planToJson(plan) });
        else process.stdout.write(`${formatPlan(plan, { width: terminalWidth() })}\n`);
        return;
      }
      const progress = await createProgress(opts);
      try {
        await executeSteps(plan, runtime, progress);
        progress.finish(true);
      } catch (err) {
        progress.finish(false);
        throw err;
      }
      if (opts.json) writeJson(command, { ok: true, dryRun: false, lab: lab.name, node, action, steps: progress instanceof JsonProgress ? progress.steps : [] });
      else process.stdout.write(`${done(node, lab.name)}\n`);
    });
}
