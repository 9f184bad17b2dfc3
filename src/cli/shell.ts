import { Command } from 'commander';
import { usageError } from '../errors.js';
import { shellOnNode } from '../lab/on-node.js';
import { examples } from './help.js';
import { NODE_TARGET_TEXT, NODE_TARGET_USAGE, nodeTarget } from './node-target.js';

export const shellCommand = new Command('shell')
  .description('open a shell on a lab node, to type the tutorial\'s own commands (ipvsadm -Lnc, netstat -natp)')
  .usage(NODE_TARGET_USAGE)
  .argument('<operands...>', NODE_TARGET_TEXT)
  .addHelpText('after', examples(
    ['lab shell lvs', 'then type `ipvsadm -Ln`, `ip addr`...; exit to leave'],
    ['lab shell alice rs1', 'rs1 of lab alice, where several labs are up'],
  ))
  .action(async (operands: string[]) => {
    const target = nodeTarget(operands, '`lab shell rs1` or `lab shell alice rs1`');
    if (!process.stdin.isTTY) {
      throw usageError('lab shell needs a terminal.', `Use \`lab exec ${operands.join(' ')} -- COMMAND\` from scripts.`);
    }
    process.exitCode = await shellOnNode(target);
  });
