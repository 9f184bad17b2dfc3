#!/usr/bin/env node
import { handleError } from './handle-error.js';
import { commandPathIn, jsonRequested } from './output.js';
import { program } from './program.js';

const args = process.argv.slice(2);
try {
  await program.parseAsync(args, { from: 'user' });
} catch (err) {
  // Exit now: a call left waiting on a frozen engine, or an interrupted run's leftover work, must not hold the process.
  process.exit(handleError(err, { json: jsonRequested(args), commandPath: commandPathIn(program, args) }));
}
