import { Command } from 'commander';
import { examples } from './help.js';
import { nodeStepsCommand } from './node-steps.js';

const stopped = (node: string, lab: string) =>
  `The web server on ${node} is stopped. Watch the director: \`lab exec lvs -- ipvsadm -Ln\`; \`lab verify ${lab}\`.`;

const STOP = 'stop the web server on NODE (an outage a health check should notice)';
const running = (node: string) => `The web server on ${node} is running again.`;

export const webCommand = new Command('web')
  .description('stop or start a real server\'s web server, e.g. to watch keepalived fail over (scenario failover)')
  .addHelpText('after', examples(
    ['lab web stop rs1', 'an outage for a health check to notice'],
    ['lab web start rs1', 'the server answers again'],
  ))
  .addCommand(nodeStepsCommand('web', 'stop', STOP, stopped))
  .addCommand(nodeStepsCommand('web', 'start', 'start the web server on NODE again', running));
