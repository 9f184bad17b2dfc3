import { Command } from 'commander';
import { builtinScenarioText } from '../scenario/load.js';
import { examples } from './help.js';

export const showCommand = new Command('show')
  .description('print a built-in scenario\'s YAML, to copy and edit (then `lab up ./my-lab.yaml`)')
  .argument('<scenario>', 'a built-in scenario (`lab list`)')
  .addHelpText('after', examples(
    ['lab show rr-basic', 'the tutorial lab as a file'],
    ['lab show rr-basic > my-lab.yaml', 'copy it, edit it, then:'],
    ['lab up ./my-lab.yaml --dry-run', 'check your file and see its commands'],
  ))
  .action((name: string) => {
    process.stdout.write(builtinScenarioText(name));
  });
