import { Command } from 'commander';
import { z } from 'zod';
import { listBuiltinScenarios, loadScenario } from '../scenario/load.js';
import { parseOptions } from './options.js';

export const listCommand = new Command('list')
  .description('list the built-in scenarios and the tutorial each comes from')
  .option('--json', 'machine-readable output')
  .action((raw) => {
    const opts = parseOptions(z.object({ json: z.boolean().default(false) }), raw);
    const rows = listBuiltinScenarios().map((name) => {
      const { scenario } = loadScenario(name);
      return { name, title: scenario.title, seed: scenario.seed ?? null, scheduler: scenario.service.scheduler, forwarding: scenario.forwarding };
    });
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      return;
    }
    const width = Math.max(...rows.map((r) => r.name.length));
    for (const r of rows) process.stdout.write(`${r.name.padEnd(width)}  ${r.title}${r.seed ? `  [seed ${r.seed}]` : ''}\n`);
    process.stdout.write('\nBring one up with `lab up NAME`; `lab up NAME --dry-run` shows its commands. A file works too: `lab up ./my-lab.yaml`.\n');
  });
