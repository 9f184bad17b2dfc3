import { Command } from 'commander';
import { z } from 'zod';
import { findLab, findNodeContainer } from '../lab/find.js';
import { LABEL } from '../lab/labels.js';
import { executeSteps } from '../lab/up.js';
import { formatPlan } from '../plan/format.js';
import { realServerRolePlan } from '../plan/role.js';
import { DockerRuntime } from '../runtime/docker.js';
import { parseOptions } from './options.js';
import { createProgress, JsonProgress } from './progress.js';

const roleOptions = z.object({ verbose: z.boolean().default(false), json: z.boolean().default(false), dryRun: z.boolean().default(false) });

function roleCommand(action: 'start' | 'stop'): Command {
  return new Command(action)
    .description(action === 'stop'
      ? 'what seed 003\'s `lvs-rs.sh stop` does: take NODE out of the director\'s table, drop its VIP and ARP settings'
      : 'what seed 003\'s `lvs-rs.sh start` does: ARP settings and VIP back on NODE, then back into the director\'s table')
    .argument('<node>', 'a real server of a running lab (rs1, rs2, ...)')
    .option('-v, --verbose', 'show each command\'s output')
    .option('--json', 'machine-readable output')
    .option('--dry-run', 'print the commands without running them')
    .action(async (node: string, raw) => {
      const opts = parseOptions(roleOptions, raw);
      const runtime = await DockerRuntime.connect();
      const container = await findNodeContainer(runtime, node);
      const lab = await findLab(runtime, container.labels[LABEL.lab]);
      const plan = realServerRolePlan(lab.scenario, node, action);
      if (opts.dryRun) {
        process.stdout.write(`${formatPlan(plan)}\n`);
        return;
      }
      const progress = createProgress(opts);
      try {
        await executeSteps(plan, runtime, progress);
        progress.finish(true);
      } catch (err) {
        progress.finish(false);
        throw err;
      }
      if (opts.json) process.stdout.write(`${JSON.stringify({ ok: true, lab: lab.name, node, action, steps: progress instanceof JsonProgress ? progress.steps : [] }, null, 2)}\n`);
      else process.stdout.write(`${node} ${action === 'stop' ? 'is out of' : 'is back in'} lab ${lab.name}. Check with \`lab verify ${lab.name}\`.\n`);
    });
}

export const rsCommand = new Command('rs')
  .description('switch a real server\'s DR role off and on, like seed 003\'s lvs-rs.sh stop|start')
  .addCommand(roleCommand('stop'))
  .addCommand(roleCommand('start'));
