import { Command } from 'commander';
import { z } from 'zod';
import { usageError } from '../errors.js';
import { teardown } from '../lab/teardown.js';
import { DockerRuntime } from '../runtime/docker.js';
import { isFileReference, loadScenario } from '../scenario/load.js';
import { examples } from './help.js';
import { parseOptions } from './options.js';
import { writeJson } from './output.js';

export const teardownCommand = new Command('teardown')
  .description('remove the containers and networks a lab made (found by their labels), nothing else; safe to run twice')
  .argument('[lab]', 'the lab (scenario name or file)')
  .option('--all', 'every lab this tool made')
  .option('--json', 'one JSON document on stdout: { schema, ok, lab, containers, networks, seconds }')
  .addHelpText('after', examples(['lab teardown rr-basic', 'remove the rr-basic lab'], ['lab teardown ./my-lab.yaml', 'the lab a file made'], ['lab teardown --all', 'every lab lab made']))
  .action(async (ref: string | undefined, raw, command: Command) => {
    const opts = parseOptions(z.object({ all: z.boolean().default(false), json: z.boolean().default(false) }), raw);
    if (!opts.all && !ref?.trim()) throw usageError('Say which lab to remove.', '`lab teardown rr-basic`, or `lab teardown --all`; `lab status` lists running labs.');
    if (opts.all && ref !== undefined) throw usageError('Give a lab or --all, not both.', '`lab teardown rr-basic` removes one lab, `lab teardown --all` every lab lab made.');
    const lab = opts.all ? 'all' : isFileReference(ref!) ? loadScenario(ref!).scenario.name : ref!;
    const runtime = await DockerRuntime.connect();
    const result = await teardown(runtime, lab);
    if (opts.json) {
      writeJson(command, { ok: true, lab, ...result });
      return;
    }
    const what = lab === 'all' ? 'any lab' : `lab ${lab}`;
    if (result.containers.length + result.networks.length === 0) {
      process.stdout.write(`Nothing to remove: no container or network of ${what}.\n`);
      return;
    }
    process.stdout.write(
      `Removed ${result.containers.length} containers (${result.containers.join(', ') || '-'}) and ${result.networks.length} networks (${result.networks.join(', ') || '-'}) in ${result.seconds.toFixed(1)} s.\n`,
    );
  });
