import { Command } from 'commander';
import * as z from 'zod';
import { usageError } from '../errors.js';
import { tearDown, type TeardownTarget } from '../lab/teardown.js';
import { examples } from './help.js';
import { parseOptions } from './options.js';
import { writeJson } from './output.js';

const teardownOptions = z.object({ all: z.boolean().default(false), json: z.boolean().default(false) });

export const teardownCommand = new Command('teardown')
  .description('remove the containers and networks a lab made (found by their labels), nothing else; safe to run twice')
  .argument('[lab]', 'the lab (scenario name or file)')
  .option('--all', 'every lab this tool made')
  .option('--json', 'one JSON document on stdout: { schema, ok, all, lab, containers, networks, seconds }')
  .addHelpText('after', examples(
    ['lab teardown rr-basic', 'remove the rr-basic lab'],
    ['lab teardown ./my-lab.yaml', 'the lab a file made'],
    ['lab teardown --all', 'every lab lab made'],
  ))
  .action(async (ref: string | undefined, raw, command: Command) => {
    const opts = parseOptions(teardownOptions, raw);
    const target = targetOf(ref, opts.all);
    const { lab, ...removed } = await tearDown(target);
    if (opts.json) {
      writeJson(command, { ok: true, all: opts.all, lab, ...removed });
      return;
    }
    const { containers, networks, seconds } = removed;
    if (containers.length + networks.length === 0) {
      const of = lab === null ? 'any lab' : `lab ${lab}`;
      process.stdout.write(`Nothing to remove: no container or network of ${of}.\n`);
      return;
    }
    const list = (names: string[]) => names.join(', ') || '-';
    process.stdout.write(
      `Removed ${containers.length} containers (${list(containers)}) ` +
        `and ${networks.length} networks (${list(networks)}) in ${seconds.toFixed(1)} s.\n`,
    );
  });

/** A lab, or `--all`: exactly one of them. */
function targetOf(ref: string | undefined, all: boolean): TeardownTarget {
  if (all && ref !== undefined) {
    const fix = '`lab teardown rr-basic` removes one lab, `lab teardown --all` every lab lab made.';
    throw usageError('Give a lab or --all, not both.', fix);
  }
  if (all) return { every: true };
  if (!ref?.trim()) {
    const fix = '`lab teardown rr-basic`, or `lab teardown --all`; `lab status` lists running labs.';
    throw usageError('Say which lab to remove.', fix);
  }
  return { ref };
}
