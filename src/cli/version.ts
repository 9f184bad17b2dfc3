import { Command } from 'commander';
import * as z from 'zod';
import { packageVersion } from '../package.js';
import { examples } from './help.js';
import { parseOptions } from './options.js';
import { writeJson } from './output.js';

export const versionCommand = new Command('version')
  .description('print lab\'s version (the same as `lab --version`)')
  .option('--json', 'one JSON document on stdout: { schema, ok, version }')
  .addHelpText('after', examples(['lab version', 'e.g. 0.1.0'], ['lab version --json', 'for scripts']))
  .action((raw, command: Command) => {
    const opts = parseOptions(z.object({ json: z.boolean().default(false) }), raw);
    if (opts.json) writeJson(command, { ok: true, version: packageVersion() });
    else process.stdout.write(`${packageVersion()}\n`);
  });
