import { Command } from 'commander';
import * as z from 'zod';
import { scenarioCatalog } from '../lab/catalog.js';
import { examples } from './help.js';
import { parseOptions } from './options.js';
import { writeJson } from './output.js';

const BRING_ONE_UP =
  'Bring one up with `lab up NAME`; `lab up NAME --dry-run` shows its commands. ' +
  'A file works too: `lab up ./my-lab.yaml`.';

export const listCommand = new Command('list')
  .description('list the built-in scenarios and the tutorial each comes from')
  .option(
    '--json',
    'one JSON document on stdout: { schema, ok, scenarios: [{ name, title, seed, scheduler, forwarding }] }',
  )
  .addHelpText('after', examples(['lab list', 'names, titles and seeds'], ['lab show rr-basic', 'one of them as YAML']))
  .action(async (raw, command: Command) => {
    const opts = parseOptions(z.object({ json: z.boolean().default(false) }), raw);
    const rows = await scenarioCatalog();
    if (opts.json) {
      writeJson(command, { ok: true, scenarios: rows });
      return;
    }
    const width = Math.max(...rows.map((r) => r.name.length));
    for (const r of rows) {
      process.stdout.write(`${r.name.padEnd(width)}  ${r.title}${r.seed ? `  [seed ${r.seed}]` : ''}\n`);
    }
    process.stdout.write(`\n${BRING_ONE_UP}\n`);
  });
