import { Command } from 'commander';
import * as z from 'zod';
import { ExitCode } from '../errors.js';
import { verifyRunningLab } from '../lab/verify-running.js';
import { shipped } from '../package.js';
import { formatVerifyReport } from '../verify/report.js';
import { examples } from './help.js';
import { parseOptions, requestCount } from './options.js';
import { writeJson } from './output.js';
import { withSpinner } from './progress.js';

const verifyOptions = z.object({
  requests: requestCount.optional(),
  json: z.boolean().default(false),
  junit: z.string().min(1).optional(),
  keepCaptures: z.string().min(1).optional(),
  html: z.string().min(1).optional(),
});

export const verifyCommand = new Command('verify')
  .description(
    'prove the lab works: ARP ownership, the packet path (captures), the director\'s role and the scheduler; ' +
      'exit 0 pass, 1 fail, 3 environment missing',
  )
  .argument('[lab]', 'the lab (scenario name or file); default: the only running lab')
  .option(
    '--requests <n>',
    'requests per client, each on a new TCP connection (default: two rounds of the scheduler, at least 6)',
  )
  .option('--json', `the report as one JSON document on stdout (${shipped('docs/verify-json.md')})`)
  .option('--junit <file>', 'also write the checks as JUnit XML, for CI systems')
  .option('--keep-captures <dir>', 'copy the .pcap files the checks used into this directory')
  .option(
    '--html <file>',
    'also write the report as one page (no network needed to open it): the topology with the measured path, ' +
      'counts per real server, every check, links to the kept captures',
  )
  .addHelpText('after', examples(
    ['lab verify', 'the only running lab'],
    ['lab verify rr-basic --requests 12', 'twelve requests, six rounds of rr'],
    ['lab verify rr-basic --junit verify.xml --keep-captures pcap/', 'for CI: a JUnit report and the captures as artifacts'],
    ['lab verify rr-basic --html verify.html --keep-captures pcap/', 'a page to open in a browser, linking the captures'],
  ))
  .action(async (ref: string | undefined, raw, command: Command) => {
    const opts = parseOptions(verifyOptions, raw);
    const report = await verifyRunningLab(ref, opts, (title, task) => withSpinner(title, task, opts.json));
    if (opts.json) writeJson(command, report);
    else process.stdout.write(`${formatVerifyReport(report)}\n`);
    if (!report.ok) process.exitCode = ExitCode.checkFailed;
  });
