import { z } from 'zod';
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

export const requestCount = z.coerce.number().int().min(2, 'at least 2').max(500, 'at most 500');

/** `--init`, `--privilege`, `--image`: what `up` applies to every node, and what `doctor` checks as if applied. */
export const scenarioOverrides = {
  init: z.enum(INIT_SETTINGS).optional(),
  privilege: z.enum(PRIVILEGE_SETTINGS).optional(),
  image: imageReference.optional(),
};
