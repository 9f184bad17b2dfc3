import { Command } from 'commander';
import { z } from 'zod';
import { doctorOk } from '../doctor/checks.js';
import { ProbeSession } from '../doctor/probes.js';
import { runDoctor } from '../doctor/run.js';
import { doctorJson, formatDoctorReport } from '../doctor/report.js';
import { ExitCode, LabError } from '../errors.js';
import { DockerRuntime } from '../runtime/docker.js';
import { applyOverrides } from '../scenario/model.js';
import { resolveOnEngine } from '../lab/engine-facts.js';
import { ASSUMED_FACTS, resolveAuto } from '../scenario/auto.js';
import { loadScenario } from '../scenario/load.js';
import { INIT_SETTINGS, PRIVILEGE_SETTINGS } from '../scenario/schema.js';
import { examples } from './help.js';
import { parseOptions, scenarioOverrides } from './options.js';
import { terminalWidth, writeJson } from './output.js';

const doctorOptions = z.object({
  json: z.boolean().default(false),
  ...scenarioOverrides,
});

export const doctorCommand = new Command('doctor')
  .description('check that this machine can run a scenario (Docker, image, cgroup, IPVS, privileges, subnets, VIP, names), each with its fix')
  .argument('[scenario]', 'a built-in scenario (`lab list`) or a scenario file', 'rr-basic')
  .option('--json', 'one JSON document on stdout: { schema, ok, scenario, seconds, checks: [{ id, title, status, detail, fix }] }')
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
    const { scenario: fromFile } = loadScenario(ref);
    let scenario = applyOverrides(fromFile, opts);
    const started = performance.now();

    let runtime: DockerRuntime | undefined;
    let connectError: LabError | undefined;
    try {
      runtime = await DockerRuntime.connect();
    } catch (err) {
      if (!(err instanceof LabError)) throw err;
      connectError = err;
    }
    const probes = runtime ? new ProbeSession(runtime) : undefined;
    // A probe container lives a second or two; Ctrl-C in that window must not leave it behind, nor may a
    // probe be created after the ones in flight were removed.
    const onSignal = (signal: NodeJS.Signals) => {
      const exitCode = signal === 'SIGINT' ? ExitCode.interrupted : ExitCode.terminated;
      const exit = () => {
        process.stderr.write(`Interrupted by ${signal}: removed the probe containers in flight.\n`);
        process.exit(exitCode);
      };
      const engine = runtime;
      if (!engine) return exit();
      const refusal = new LabError(`Interrupted by ${signal}.`, { exitCode });
      void engine.refuseCreates(refusal).then(() => probes?.removeAll()).finally(exit);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    let checks;
    try {
      // `auto` is checked as `lab up` would decide it on this engine (as the tutorial's choice without one).
      const resolved = runtime ? await resolveOnEngine(runtime, scenario, probes) : resolveAuto(scenario, ASSUMED_FACTS);
      scenario = resolved.scenario;
      resolved.notes.forEach((n) => process.stderr.write(`note: ${n}\n`));
      checks = await runDoctor(runtime, scenario, connectError, probes ? { probes } : {});
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    const seconds = (performance.now() - started) / 1000;

    if (opts.json) {
      writeJson(command, doctorJson(checks, scenario.name, seconds));
    } else {
      const width = terminalWidth();
      process.stdout.write(`lab doctor ${scenario.name} (${seconds.toFixed(1)} s)\n\n${formatDoctorReport(checks, scenario.name, width ? { width } : {})}\n`);
    }
    if (!doctorOk(checks)) process.exitCode = ExitCode.environment;
  });
