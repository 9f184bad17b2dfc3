import { Command } from 'commander';
import { examples } from './help.js';
import { nodeStepsCommand } from './node-steps.js';

const STOP = 'what `lvs-rs.sh stop` does: take NODE out of the director\'s table, drop its VIP and ARP settings';
const START = 'what `lvs-rs.sh start` does: ARP settings and VIP back on NODE, then back into the director\'s table';

const checkWith = (lab: string) => `Check with \`lab verify ${lab}\`.`;

export const rsCommand = new Command('rs')
  .description('switch a real server\'s DR role off and on, like seed 003\'s lvs-rs.sh stop|start')
  .addHelpText('after', examples(['lab rs stop rs1', 'rs1 out of the lab'], ['lab rs start rs1', 'and back in']))
  .addCommand(nodeStepsCommand('rs', 'stop', STOP, (node, lab) => `${node} is out of lab ${lab}. ${checkWith(lab)}`))
  .addCommand(nodeStepsCommand('rs', 'start', START, (node, lab) => `${node} is back in lab ${lab}. ${checkWith(lab)}`));
