import { Command } from 'commander';
import { realServerRolePlan } from '../plan/role.js';
import { nodeStepsCommand } from './node-steps.js';

export const rsCommand = new Command('rs')
  .description('switch a real server\'s DR role off and on, like seed 003\'s lvs-rs.sh stop|start')
  .addCommand(nodeStepsCommand('stop', 'what `lvs-rs.sh stop` does: take NODE out of the director\'s table, drop its VIP and ARP settings', realServerRolePlan,
    (node, lab) => `${node} is out of lab ${lab}. Check with \`lab verify ${lab}\`.`))
  .addCommand(nodeStepsCommand('start', 'what `lvs-rs.sh start` does: ARP settings and VIP back on NODE, then back into the director\'s table', realServerRolePlan,
    (node, lab) => `${node} is back in lab ${lab}. Check with \`lab verify ${lab}\`.`));
