import { Command } from 'commander';
import { execOnNode } from '../lab/on-node.js';
import { examples } from './help.js';

export const execCommand = new Command('exec')
  .description('run a command on a lab node, e.g. `lab exec lvs -- ipvsadm -Lnc`; its exit code is passed through')
  .argument('<node>', 'node name (lvs, rs1, ...)')
  .argument('<command...>', 'the command, after --')
  .addHelpText('after', examples(
    ['lab exec lvs -- ipvsadm -Lnc', 'the director\'s connection table, as in the tutorial'],
    ['lab exec rs1 -- netstat -natp', 'the real server holds the TCP connections'],
    ['lab exec client -- curl -s http://172.20.1.100/', 'one request to rr-basic\'s VIP'],
  ))
  .action(async (node: string, argv: string[]) => {
    process.exitCode = await execOnNode(node, argv, { stdout: process.stdout, stderr: process.stderr });
  });
