import { z } from 'zod';
import { usageError } from '../errors.js';
import { formatIssue } from '../scenario/load.js';

/** Commander hands over strings; zod turns them into checked values, and its issues into a usage error. */
export function parseOptions<T extends z.ZodType>(schema: T, raw: unknown): z.output<T> {
  const result = schema.safeParse(raw);
  if (!result.success) {
    throw usageError('Invalid options.', 'See `lab <command> --help`.', result.error.issues.map(formatIssue));
  }
  return result.data;
}

export const requestCount = z.coerce.number().int().min(2, 'at least 2').max(500, 'at most 500');
