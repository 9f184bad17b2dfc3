import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { VerifyReport } from '../../src/verify/run.js';
import { REPO_ROOT } from './cli.js';

/** Reports shaped as docs/verify-json.md documents them: `rr-basic` passing with kept captures, `wrr-failed` whose ratio failed. */
export const fixtureReport = (name: 'rr-basic' | 'wrr-failed'): VerifyReport =>
  JSON.parse(readFileSync(join(REPO_ROOT, 'test/fixtures', `verify-report-${name}.json`), 'utf8')) as VerifyReport;
