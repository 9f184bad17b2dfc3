#!/usr/bin/env node
import { Command } from 'commander';
import { captureCommand } from './capture.js';
import { doctorCommand } from './doctor.js';
import { execCommand } from './exec.js';
import { handleError } from './handle-error.js';
import { imagesCommand } from './images.js';
import { listCommand } from './list.js';
import { rsCommand } from './rs.js';
import { shellCommand } from './shell.js';
import { statusCommand } from './status.js';
import { teardownCommand } from './teardown.js';
import { upCommand } from './up.js';
import { verifyCommand } from './verify.js';
import { webCommand } from './web.js';

const program = new Command('lab')
  .description('The classic LVS tutorials as a lab: `lab up rr-basic` builds it in Docker and proves the balancing.')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)')
  .addHelpText('after', '\nExit codes: 0 ok, 1 a check or step failed, 2 usage or input error, 3 environment missing (Docker, IPVS, image).');

for (const command of [listCommand, upCommand, verifyCommand, teardownCommand, statusCommand, execCommand, shellCommand, captureCommand, rsCommand, webCommand, imagesCommand, doctorCommand]) {
  program.addCommand(command);
}
// Subcommands throw instead of exiting, so every error goes through handleError.
const exitOverride = (c: Command) => {
  c.exitOverride();
  c.commands.forEach(exitOverride);
};
exitOverride(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  process.exitCode = handleError(err, process.argv.includes('--json'));
}
