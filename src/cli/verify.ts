import { Command } from 'commander';
import { z } from 'zod';
import { ExitCode } from '../errors.js';
import { findLab } from '../lab/find.js';
import { DockerRuntime } from '../runtime/docker.js';
import { verifyLab } from '../verify/run.js';
import { formatVerifyReport } from '../verify/report.js';
import { parseOptions, requestCount } from './options.js';
import { withSpinner } from './progress.js';

export const verifyCommand = new Command('verify')
  .description('send requests from the client to the VIP and check the scheduler\'s property; exit 0 pass, 1 fail')
  .argument('[lab]', 'the lab (scenario name or file); default: the only running lab')
  .option('--requests <n>', 'requests to send, each on a new TCP connection', '6')
  .option('--json', 'the report as one JSON document on stdout')
  .action(async (ref: string | undefined, raw) => {
    const opts = parseOptions(z.object({ requests: requestCount, json: z.boolean().default(false) }), raw);
    const runtime = await DockerRuntime.connect();
    const lab = await findLab(runtime, ref);
    const report = await withSpinner(`Sending ${opts.requests} requests to ${lab.scenario.service.vip}`, () => verifyLab(runtime, lab.scenario, opts), opts.json);
    process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatVerifyReport(report)}\n`);
    if (!report.ok) process.exitCode = ExitCode.checkFailed;
  });
