import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';
import { program } from '../../src/cli/program.js';
import { PACKAGE_ROOT } from '../../src/package.js';
import { lab, REPO_ROOT } from '../helpers/cli.js';

const NO_ENGINE = { DOCKER_HOST: 'unix:///nonexistent/docker.sock' };
const version = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** Every command path of the real program: `['up']`, `['rs', 'stop']`, ... */
const commandPaths = (c: Command, path: string[] = []): string[][] =>
  c.commands.flatMap((sub) => [[...path, sub.name()], ...commandPaths(sub, [...path, sub.name()])]);

/** One JSON document on stdout, or the test fails showing what was printed. */
function onlyDocument(stdout: string): any {
  try {
    return JSON.parse(stdout);
  } catch {
    throw new Error(`stdout is not one JSON document:\n${stdout}`);
  }
}

describe('help that teaches', () => {
  it.each(commandPaths(program).map((path) => path.join(' ')))('`lab %s --help` has examples', async (path) => {
    const r = await lab([...path.split(' '), '--help']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/\nExamples:\n {2}\$ .*\blab /);
  });

  it.each([
    [['up'], "error: missing required argument 'scenario'", 'fix: run `lab up --help`'],
    [['up', 'rr-basic', '--bogus'], "error: unknown option '--bogus'", 'fix: run `lab up --help`'],
    [['rs', 'stop', '--bogus'], "error: unknown option '--bogus'", 'fix: run `lab rs stop --help`'],
    [['verfy'], "error: unknown command 'verfy'", 'fix: run `lab --help`'],
    [['up', 'rr-basic', '--requests', 'many', '--dry-run'], 'error: Invalid options.', 'fix: run `lab up --help`'],
    [['completion', 'ksh'], "error: command-argument value 'ksh' is invalid", 'fix: run `lab completion --help`'],
  ])('`lab %j` is a usage error with a fix line naming the command', async (args, error, fix) => {
    const r = await lab(args);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(error);
    expect(r.stderr.trimEnd().split('\n').at(-1)).toBe(fix);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('`lab version` and `lab --version` print package.json\'s version', async () => {
    expect((await lab(['version'])).stdout).toBe(`${version}\n`);
    expect((await lab(['--version'])).stdout).toBe(`${version}\n`);
  });

  it('`lab show NAME` prints a built-in scenario to copy, pointing its editor at the installed schema', async () => {
    const r = await lab(['show', 'rr-basic']);
    expect(r.exitCode).toBe(0);
    const [first, ...rest] = r.stdout.split('\n');
    expect(first).toBe(`# yaml-language-server: $schema=${join(PACKAGE_ROOT, 'schema/scenario.schema.json')}`);
    expect(rest.join('\n')).toBe(readFileSync(join(REPO_ROOT, 'scenarios/rr-basic.yaml'), 'utf8').split('\n').slice(1).join('\n'));
    const unknown = await lab(['show', 'rr-basics']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toMatch(/error: There is no built-in scenario "rr-basics"\.\nfix: Built-in scenarios: arp-problem, .*rr-basic/);
  });

  it('`lab schema` prints the shipped JSON Schema', async () => {
    const r = await lab(['schema']);
    expect(JSON.parse(r.stdout)).toEqual(JSON.parse(readFileSync(join(REPO_ROOT, 'schema/scenario.schema.json'), 'utf8')));
  });
});

describe('bash completion, from commander\'s metadata', () => {
  // `lab completion bash` once (node starts slowly in User-Mode Linux, which runs this file too), then a real
  // bash sources it for each line.
  const scriptFile = join(mkdtempSync(join(tmpdir(), 'lab-completion-')), 'lab.bash');
  beforeAll(async () => {
    const r = await lab(['completion', 'bash']);
    expect(r.exitCode, r.stderr).toBe(0);
    writeFileSync(scriptFile, r.stdout);
  });

  /** What bash offers after typing `line` (the last word being completed), with the script sourced in a real bash. */
  const complete = (line: string): string[] => {
    const script = [
      `source ${JSON.stringify(scriptFile)}`,
      `COMP_WORDS=(${line}); COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 ))`,
      '[[ "$LINE" == *" " ]] && { COMP_WORDS+=(""); COMP_CWORD=$(( COMP_CWORD + 1 )); }',
      '$(complete -p lab | sed -E "s/.*-F ([^ ]+) .*/\\1/")',
      'printf "%s\\n" "${COMPREPLY[@]}"',
    ].join('\n');
    return execFileSync('bash', ['-c', script], { env: { ...process.env, LINE: line }, encoding: 'utf8' }).split('\n').filter(Boolean);
  };

  it('completes commands, subcommands, options and scenario names', () => {
    expect(complete('lab ')).toEqual(expect.arrayContaining(['up', 'verify', 'show', 'completion', 'version']));
    expect(complete('lab ve')).toEqual(['verify', 'version']);
    expect(complete('lab up --dr')).toEqual(['--dry-run']);
    expect(complete('lab up rr')).toEqual(['rr-basic']);
    expect(complete('lab rs ')).toEqual(['stop', 'start', '--help']);
    expect(complete('lab rs stop --')).toEqual(['--verbose', '--json', '--dry-run', '--help']);
    expect(complete('lab completion ')).toEqual(['bash', 'zsh', 'fish', '--help']);
    expect(complete('lab verify rr-basic --ju')).toEqual(['--junit']);
  });
});

describe('--json: one document on stdout, { schema: "lvs-lab/<command>@1", ok, ... }, whatever happens', () => {
  it('list', async () => {
    const doc = onlyDocument((await lab(['list', '--json'])).stdout);
    expect(doc).toMatchObject({ schema: 'lvs-lab/list@1', ok: true });
    expect(doc.scenarios).toContainEqual({ name: 'rr-basic', title: expect.any(String), seed: '000_b1166a4f114715ee.txt', scheduler: 'rr', forwarding: 'dr' });
  });

  it('up --dry-run', async () => {
    const doc = onlyDocument((await lab(['up', 'rr-basic', '--dry-run', '--json'])).stdout);
    expect(doc).toMatchObject({ schema: 'lvs-lab/up@1', ok: true, dryRun: true, lab: 'rr-basic', scenario: 'rr-basic' });
    expect(doc.steps[0]).toEqual({ index: 1, phase: expect.any(String), kind: 'network', node: 'host', command: expect.stringContaining('docker network create'), why: expect.any(String) });
  });

  it('version', async () => {
    expect(onlyDocument((await lab(['version', '--json'])).stdout)).toEqual({ schema: 'lvs-lab/version@1', ok: true, version });
  });

  it('doctor without an engine: its checks, ok false, exit 3', async () => {
    const r = await lab(['doctor', 'rr-basic', '--json'], { env: NO_ENGINE });
    expect(r.exitCode).toBe(3);
    const doc = onlyDocument(r.stdout);
    expect(doc).toMatchObject({ schema: 'lvs-lab/doctor@1', ok: false, scenario: 'rr-basic' });
    expect(doc.checks).toContainEqual(expect.objectContaining({ status: 'fail', fix: expect.stringMatching(/Docker/) }));
  });

  it.each([
    [['status', '--json'], 'lvs-lab/status@1', 3],
    [['teardown', 'rr-basic', '--json'], 'lvs-lab/teardown@1', 3],
    [['verify', '--json'], 'lvs-lab/verify@1', 3],
    [['up', 'rr-basic', '--json'], 'lvs-lab/up@1', 3],
    [['rs', 'stop', 'rs1', '--json'], 'lvs-lab/rs-stop@1', 3],
    [['up', '--json', '--bogus'], 'lvs-lab/up@1', 2],
    [['up', '--json'], 'lvs-lab/up@1', 2],
    [['teardown', '--json'], 'lvs-lab/teardown@1', 2],
    [['up', 'no-such-lab', '--json'], 'lvs-lab/up@1', 2],
    [['frobnicate', '--json'], 'lvs-lab/lab@1', 2],
    [['--json'], 'lvs-lab/lab@1', 2],
    [['exec', 'lvs', '--json'], 'lvs-lab/exec@1', 2],
  ])('`lab %j` fails as a document with the error and its fix', async (args, schema, exitCode) => {
    const r = await lab(args, { env: NO_ENGINE });
    expect(r.exitCode).toBe(exitCode);
    const doc = onlyDocument(r.stdout);
    expect(doc).toEqual({ schema, ok: false, error: { message: expect.any(String), details: expect.any(Array), hint: expect.any(String), exitCode } });
  });
});
