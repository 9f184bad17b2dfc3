import * as z from 'zod';
import { usageError } from '../errors.js';
import { formatIssue } from '../scenario/load.js';
import { imageReference, INIT_SETTINGS, PRIVILEGE_SETTINGS } from '../scenario/schema.js';

/**
 * Commander hands over strings; zod turns them into checked values, and its issues into a usage error
 * (its fix, the command's --help, is added by handleError, which knows the command).
 */
export function parseOptions<T extends z.ZodType>(schema: T, raw: unknown): z.output<T> {
  const result = schema.safeParse(raw);
  if (!result.success) {
    throw usageError('Invalid options.', undefined, result.error.issues.map(formatIssue));
  }
  return result.data;
}

/** A whole number from min to max, said so when it is not one ("many", "1.5"), not as zod's "received NaN". */
export function wholeNumber(min: number, max: number) {
  const expected = `expected a whole number from ${min} to ${max}`;
  return z.coerce.number({ error: expected }).int(expected).min(min, expected).max(max, expected);
}

export const requestCount = wholeNumber(2, 500);

/** `--init`, `--privilege`, `--image`: what `up` applies to every node, and what `doctor` checks as if applied. */
export const scenarioOverrides = {
  init: z.enum(INIT_SETTINGS).optional(),
  privilege: z.enum(PRIVILEGE_SETTINGS).optional(),
  image: imageReference.optional(),
};
