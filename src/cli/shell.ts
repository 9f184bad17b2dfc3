import { Command } from 'commander';
import { usageError } from '../errors.js';
import { shellOnNode } from '../lab/on-node.js';
import { examples } from './help.js';

export const shellCommand = new Command('shell')
  .description('open a shell on a lab node, to type the tutorial\'s own commands (ipvsadm -Lnc, netstat -natp)')
  .argument('<node>', 'node name (lvs, rs1, ...)')
  .addHelpText('after', examples(['lab shell lvs', 'then type `ipvsadm -Ln`, `ip addr`...; exit to leave']))
  .action(async (node: string) => {
    if (!process.stdin.isTTY) {
      throw usageError('lab shell needs a terminal.', `Use \`lab exec ${node} -- COMMAND\` from scripts.`);
    }
    process.exitCode = await shellOnNode(node);
  });
