import { Command } from 'commander';
import * as z from 'zod';
import { labStatus, type LabStatus } from '../lab/status.js';
import { examples } from './help.js';
import { parseOptions } from './options.js';
import { writeJson } from './output.js';

export const statusCommand = new Command('status')
  .description('list running labs and their nodes')
  .option('--json', 'one JSON document on stdout: { schema, ok, labs: [{ lab, scenario, source, networks, nodes }] }')
  .addHelpText('after', examples(
    ['lab status', 'each running lab (instances too), its scenario, subnets, nodes, roles and addresses'],
    ['lab status --json', 'the same for scripts'],
  ))
  .action(async (raw, command: Command) => {
    const opts = parseOptions(z.object({ json: z.boolean().default(false) }), raw);
    const labs = await labStatus();
    if (opts.json) writeJson(command, { ok: true, labs });
    else if (labs.length === 0) process.stdout.write('No lab is running. Start one with `lab up rr-basic`.\n');
    else labs.forEach(printLab);
  });

function printLab(lab: LabStatus): void {
  const subnets = lab.networks.map((n) => `${n.name} ${n.subnet}`).join(', ');
  process.stdout.write(`${lab.lab}: scenario ${lab.scenario} (${lab.source}), ${subnets || 'no network label'}\n`);
  for (const n of lab.nodes) {
    const addrs = Object.entries(n.addresses).map(([net, ip]) => `${net}:${ip}`).join(' ');
    const container = n.container === n.node ? '' : ` (container ${n.container})`;
    process.stdout.write(`  ${n.node.padEnd(10)} ${n.role.padEnd(12)} ${n.state.padEnd(8)} ${addrs}${container}\n`);
  }
}
