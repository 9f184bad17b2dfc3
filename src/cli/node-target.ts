import type { Command } from 'commander';
import { usageError } from '../errors.js';
import type { NodeTarget } from '../lab/find.js';

/** How every node-taking command names its node: the lab first where several labs have a node of that name. */
export const NODE_TARGET_USAGE = '[lab] <node>';
export const NODE_TARGET_TEXT = 'the node (lvs, rs1, ...), after its lab where several labs are up (`alice rs1`)';

/** `[LAB] NODE` from a command's operands: one is the node, two are the lab and the node. */
export function nodeTarget(operands: string[], example: string): NodeTarget {
  if (operands.length === 1) return { node: operands[0]! };
  if (operands.length === 2) return { lab: operands[0]!, node: operands[1]! };
  throw usageError(`Give a node, or a lab and a node; got ${operands.length} names: ${operands.join(' ')}.`, `E.g. ${example}.`);
}

/**
 * `lab exec [LAB] NODE -- COMMAND`: commander drops the first `--` and hands over every operand, so what
 * follows the `--` on the command line is the command; without a `--`, the first operand is the node and
 * the rest the command, as before labs had instances.
 */
export function execOperands(command: Command, operands: string[]): { target: NodeTarget; argv: string[] } {
  // Commander keeps the command line it parsed as rawArgs, untyped.
  const raw = (command.parent as { rawArgs?: string[] } | null)?.rawArgs ?? [];
  const dashes = raw.indexOf('--');
  const after = dashes < 0 ? operands.length - 1 : raw.length - dashes - 1;
  const before = operands.slice(0, operands.length - after);
  const argv = operands.slice(operands.length - after);
  if (argv.length === 0) throw usageError('No command to run.', 'Give it after --, e.g. `lab exec rs1 -- hostname`.');
  return { target: nodeTarget(before, '`lab exec rs1 -- hostname` or `lab exec alice rs1 -- hostname`'), argv };
}
