import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateWorkflow } from '@action-validator/core';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { program } from '../../src/cli/program.js';
import { PACKAGE_ROOT } from '../../src/package.js';

// The recipes cannot run here (no IPVS, no GitHub): they are linted, and the shell one runs against a fake `lab`.
const WORKFLOW = join(PACKAGE_ROOT, 'docs/ci/github-actions.yml');
const SCRIPT = join(PACKAGE_ROOT, 'docs/ci/lab-ci.sh');
const workflowText = readFileSync(WORKFLOW, 'utf8');
const steps = (parse(workflowText) as { jobs: { lab: { steps: Array<{ name?: string; run?: string; uses?: string; if?: string; with?: Record<string, string> }> } } }).jobs.lab.steps;

/** Each `lab ...` command run in a text (at a line's start, after `&&`, in a trap), as words (quotes dropped). */
const labCommands = (text: string) =>
  [...text.matchAll(/(?:^\s*|&& |')lab ([^\n&|#']+)/gm)].map((m) => m[1]!.trim().replace(/"/g, '').split(/\s+/));

/** Options of `words` that the real `lab` command they name does not have. */
function unknownWords(words: string[]): string[] {
  let command: Command = program;
  for (const w of words) {
    const sub = command.commands.find((c) => c.name() === w);
    if (!sub) break;
    command = sub;
  }
  if (command === program) return [`no command: ${words.join(' ')}`];
  const known = new Set(command.options.flatMap((o) => [o.long, o.short]));
  return words.filter((w) => w.startsWith('-') && !known.has(w));
}

describe('CI recipe: GitHub Actions (docs/ci/github-actions.yml)', () => {
  it('passes action-validator (GitHub\'s workflow schema)', () => {
    expect(validateWorkflow(workflowText).errors).toEqual([]);
    // The linter does catch mistakes: a job without runs-on, a step with both run and uses.
    expect(validateWorkflow('on: push\njobs:\n  a:\n    steps:\n      - run: echo\n        uses: actions/checkout@v4\n').errors).not.toEqual([]);
  });

  it('loads IPVS, brings the lab up, verifies with JUnit and captures, uploads both and tears down, always', () => {
    const runs = steps.map((s) => s.run ?? '');
    const at = (re: RegExp) => runs.findIndex((r) => re.test(r));
    const order = [/sudo modprobe ip_vs ip_vs_rr/, /lab up "\$SCENARIO" --no-verify/, /lab verify "\$SCENARIO" --junit "\$RESULTS\/junit.xml" --keep-captures "\$RESULTS\/pcap"/].map(at);
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    const upload = steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'));
    expect(upload).toMatchObject({ if: 'always()', with: { path: '${{ env.RESULTS }}/' } });
    expect(steps.at(-1)).toMatchObject({ if: 'always()', run: 'lab teardown "$SCENARIO"' });
  });

  it('uses only commands and options lab has', () => {
    const commands = labCommands(steps.map((s) => s.run ?? '').join('\n'));
    expect(commands.length).toBeGreaterThan(5);
    expect(commands.flatMap(unknownWords)).toEqual([]);
  });
});

describe('CI recipe: plain shell (docs/ci/lab-ci.sh)', () => {
  it('parses (bash -n) and uses only commands and options lab has', () => {
    execFileSync('bash', ['-n', SCRIPT]);
    const body = readFileSync(SCRIPT, 'utf8').split('\n').filter((l) => !l.startsWith('#')).join('\n');
    expect(labCommands(body).flatMap(unknownWords)).toEqual([]);
  });

  /** Runs the script with fake lab, npm and sudo that log their calls; `lab <failing>` exits with `code`. */
  function runScript(failing: string | undefined, code = 1) {
    const bin = mkdtempSync(join(tmpdir(), 'lab-ci-'));
    const log = join(bin, 'calls.log');
    const fake = (name: string, body: string) => {
      writeFileSync(join(bin, name), `#!/bin/sh\necho "${name} $*" >> "${log}"\n${body}\n`);
      chmodSync(join(bin, name), 0o755);
    };
    fake('lab', failing ? `[ "$1" = "${failing}" ] && exit ${code}\nexit 0` : 'exit 0');
    fake('sudo', 'exit 0');
    fake('modprobe', 'exit 0');
    fake('npm', 'exit 0');
    const r = spawnSync('bash', [SCRIPT], { cwd: bin, env: { PATH: `${bin}:/usr/bin:/bin`, SCENARIO: 'rr-basic', HOME: bin }, encoding: 'utf8' });
    const calls = readFileSync(log, 'utf8').trim().split('\n').map((l) => l.replace(bin, '.'));
    return { status: r.status, calls };
  }

  it('runs the steps in order and tears down at the end', () => {
    const { status, calls } = runScript(undefined);
    expect(status).toBe(0);
    const lab = calls.filter((c) => c.startsWith('lab ')).map((c) => c.replace(/ --junit .*/, ' --junit ...'));
    expect(lab).toEqual(['lab version', 'lab images build', 'lab doctor rr-basic', 'lab up rr-basic --no-verify', 'lab verify rr-basic --junit ...', 'lab teardown rr-basic']);
    expect(calls.some((c) => /modprobe ip_vs ip_vs_rr$/.test(c))).toBe(true);
  });

  it.each([['verify', 1], ['up', 3]])('when `lab %s` fails (exit %i), still tears down and exits with its code', (failing, code) => {
    const { status, calls } = runScript(failing as string, code as number);
    expect(status).toBe(code);
    expect(calls.at(-1)).toBe('lab teardown rr-basic');
  });
});
