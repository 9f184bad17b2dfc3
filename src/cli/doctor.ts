import { Command } from 'commander';
import * as z from 'zod';
import { doctorOk } from '../doctor/checks.js';
import { doctorJson, formatDoctorReport } from '../doctor/report.js';
import { ExitCode } from '../errors.js';
import { checkEnvironment } from '../lab/doctor-run.js';
import { INIT_SETTINGS, PRIVILEGE_SETTINGS } from '../scenario/schema.js';
import { examples } from './help.js';
import { parseOptions, scenarioOverrides } from './options.js';
import { terminalWidth, writeJson } from './output.js';

const doctorOptions = z.object({
  json: z.boolean().default(false),
  ...scenarioOverrides,
});

export const doctorCommand = new Command('doctor')
  .description(
    'check that this machine can run a scenario (Docker, image, cgroup, IPVS, privileges, subnets, VIP, names), ' +
      'each with its fix',
  )
  .argument('[scenario]', 'a built-in scenario (`lab list`) or a scenario file', 'rr-basic')
  .option(
    '--json',
    'one JSON document on stdout: { schema, ok, scenario, seconds, checks: [{ id, title, status, detail, fix }] }',
  )
  .option('--init <mode>', `check as if \`lab up --init\`: ${INIT_SETTINGS.join(' | ')}`)
  .option('--privilege <profile>', `check as if \`lab up --privilege\`: ${PRIVILEGE_SETTINGS.join(' | ')}`)
  .option('--image <name>', 'check as if `lab up --image`')
  .addHelpText('after', examples(
    ['lab doctor', 'can rr-basic run here?'],
    ['lab doctor nat', 'the same for another scenario'],
    ['lab doctor --privilege capabilities', 'as `lab up --privilege capabilities` would run'],
  ))
  .addHelpText('after', '\nExit 0 when no check fails (warnings allowed), 3 when one does (environment missing).')
  .action(async (ref: string, raw, command: Command) => {
    const opts = parseOptions(doctorOptions, raw);
    const { scenario, checks, seconds } = await checkEnvironment(ref, opts, {
      note: (message) => process.stderr.write(`${message}\n`),
    });
    if (opts.json) {
      writeJson(command, doctorJson(checks, scenario.name, seconds));
    } else {
      const width = terminalWidth();
      const report = formatDoctorReport(checks, scenario.name, width ? { width } : {});
      process.stdout.write(`lab doctor ${scenario.name} (${seconds.toFixed(1)} s)\n\n${report}\n`);
    }
    if (!doctorOk(checks)) process.exitCode = ExitCode.environment;
  });
