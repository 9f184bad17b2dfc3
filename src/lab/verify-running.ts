import { writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DockerRuntime } from '../runtime/docker.js';
import { verifyPage } from '../verify/html.js';
import { toJUnit } from '../verify/junit.js';
import { verifyLab, type VerifyOptions, type VerifyReport } from '../verify/run.js';
import { quietly, type ShowTask } from './events.js';
import { findLab } from './find.js';

export interface VerifyRequest extends VerifyOptions {
  /** Also write the checks as JUnit XML here. */
  junit?: string | undefined;
  /** Also write the report as one page here (links to the kept captures relative to it). */
  html?: string | undefined;
}

/**
 * `lab verify [LAB]`: the running lab REF means (by default the only one) proved by evidence, shown through
 * `show` while it runs; the report, also written as JUnit and as a page where asked.
 */
export async function verifyRunningLab(
  ref: string | undefined,
  request: VerifyRequest,
  show: ShowTask = quietly,
): Promise<VerifyReport> {
  const runtime = await DockerRuntime.connect();
  const lab = await findLab(runtime, ref);
  const title = `Verifying ${lab.name}: requests to ${lab.scenario.service.vip}, with captures`;
  // The page shows `ipvsadm --stats` per real server: with this run's connections in it.
  const report = await show(title, () => verifyLab(runtime, lab, { ...request, foldedStats: request.html !== undefined }));
  if (request.junit) writeFileSync(request.junit, toJUnit(report));
  if (request.html) {
    writeFileSync(request.html, verifyPage(report, lab.scenario, { pageDir: dirname(resolve(request.html)) }));
  }
  return report;
}
