import { Command } from 'commander';
import { usageError } from '../errors.js';
import { findNodeContainer } from '../lab/find.js';
import { DockerRuntime } from '../runtime/docker.js';
import { examples } from './help.js';

export const shellCommand = new Command('shell')
  .description('open a shell on a lab node, to type the tutorial\'s own commands (ipvsadm -Lnc, netstat -natp)')
  .argument('<node>', 'node name (lvs, rs1, ...)')
  .addHelpText('after', examples(['lab shell lvs', 'then type `ipvsadm -Ln`, `ip addr`...; exit to leave']))
  .action(async (node: string) => {
    if (!process.stdin.isTTY) throw usageError('lab shell needs a terminal.', `Use \`lab exec ${node} -- COMMAND\` from scripts.`);
    const runtime = await DockerRuntime.connect();
    const container = await findNodeContainer(runtime, node);
    process.exitCode = await runtime.execInteractive(container.id, ['sh', '-c', 'if command -v bash >/dev/null; then exec bash -l; else exec sh -l; fi']);
  });
