import { Command } from 'commander';
import { packageVersion } from '../package.js';
import { captureCommand } from './capture.js';
import { completionCommand } from './completion.js';
import { doctorCommand } from './doctor.js';
import { execCommand } from './exec.js';
import { graphCommand } from './graph.js';
import { examples } from './help.js';
import { imagesCommand } from './images.js';
import { listCommand } from './list.js';
import { resetCommand } from './reset.js';
import { rsCommand } from './rs.js';
import { schemaCommand } from './schema.js';
import { shellCommand } from './shell.js';
import { showCommand } from './show.js';
import { statusCommand } from './status.js';
import { teardownCommand } from './teardown.js';
import { uiCommand } from './ui.js';
import { upCommand } from './up.js';
import { verifyCommand } from './verify.js';
import { versionCommand } from './version.js';
import { webCommand } from './web.js';

/** `lab` and every command, each set to throw its errors (commander's usage ones included) for handleError. */
export const program = new Command('lab')
  .description('The classic LVS tutorials as a lab: `lab up rr-basic` builds it in Docker and proves the balancing.')
  .version(packageVersion())
  .addHelpText('after', examples(
    ['lab list', 'the built-in scenarios'],
    ['lab up rr-basic --dry-run', 'every command of the tutorial, with its reason'],
    ['lab up rr-basic', 'build it in Docker and prove the round robin'],
    ['lab teardown rr-basic', 'remove it'],
  ))
  .addHelpText(
    'after',
    '\nExit codes: 0 ok, 1 a check or step failed, 2 usage or input error, 3 environment missing (Docker, IPVS, image).',
  );

const COMMANDS = [
  listCommand, showCommand, upCommand, verifyCommand, resetCommand, graphCommand, uiCommand, teardownCommand, statusCommand,
  execCommand, shellCommand, captureCommand, rsCommand, webCommand, imagesCommand, doctorCommand, schemaCommand,
  completionCommand, versionCommand,
];
for (const command of COMMANDS) program.addCommand(command);
// Commander throws instead of printing and exiting, so every error, its own included, goes through handleError.
const throwErrors = (c: Command) => {
  c.exitOverride().configureOutput({ outputError: () => {} });
  c.commands.forEach(throwErrors);
};
throwErrors(program);
