#!/usr/bin/env node
import { handleError } from './handle-error.js';
import { commandPathIn, jsonRequested } from './output.js';
import { program } from './program.js';

const args = process.argv.slice(2);
try {
  await program.parseAsync(args, { from: 'user' });
} catch (err) {
  process.exitCode = handleError(err, { json: jsonRequested(args), commandPath: commandPathIn(program, args) });
}
