import { Command } from 'commander';
import { execOnNode } from '../lab/on-node.js';
import { examples } from './help.js';
import { execOperands, NODE_TARGET_TEXT, NODE_TARGET_USAGE } from './node-target.js';

export const execCommand = new Command('exec')
  .description('run a command on a lab node, e.g. `lab exec lvs -- ipvsadm -Lnc`; its exit code is passed through')
  .usage(`[options] ${NODE_TARGET_USAGE} -- <command...>`)
  .argument('<operands...>', `${NODE_TARGET_TEXT}, then -- and the command`)
  .addHelpText('after', examples(
    ['lab exec lvs -- ipvsadm -Lnc', 'the director\'s connection table, as in the tutorial'],
    ['lab exec rs1 -- netstat -natp', 'the real server holds the TCP connections'],
    ['lab exec client -- curl -s http://172.20.1.100/', 'one request to rr-basic\'s VIP'],
    ['lab exec alice lvs -- ipvsadm -Ln', 'the director of lab alice (`lab up rr-basic --name alice`)'],
  ))
  .action(async (operands: string[], _raw, command: Command) => {
    const { target, argv } = execOperands(command, operands);
    process.exitCode = await execOnNode(target, argv, { stdout: process.stdout, stderr: process.stderr });
  });
