import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { VerifyReport } from '../../src/verify/run.js';
import { REPO_ROOT } from './cli.js';

/**
 * Report fixtures, each with the scenario it verified: `rr-basic` passing with kept captures, `wrr-failed`
 * whose ratio failed, and `nat` and `tun` as `lab verify --json` printed them on a real UML run.
 */
export const FIXTURES = { 'rr-basic': 'rr-basic', 'wrr-failed': 'wrr', nat: 'nat', tun: 'tun' } as const;

export const fixtureReport = (name: keyof typeof FIXTURES): VerifyReport =>
  JSON.parse(readFileSync(join(REPO_ROOT, 'test/fixtures', `verify-report-${name}.json`), 'utf8')) as VerifyReport;
