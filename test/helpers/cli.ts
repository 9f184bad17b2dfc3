import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The built CLI, exactly what `npm install -g` would put on PATH as `lab`. */
export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs `lab ARGS` as a child process; `npm test` builds dist/ first (pretest). */
export function lab(args: string[], opts: { env?: Record<string, string | undefined>; timeoutMs?: number } = {}): Promise<CliResult> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does it).`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ exitCode: code ?? -1, stdout, stderr });
    });
  });
}

/** A `lab` still running: its output so far, a wait for a line, and its end. For signals sent mid-run. */
export interface RunningLab {
  child: ChildProcess;
  output: () => string;
  /** Resolves once the output (stdout or stderr) contains text; false if lab ended first. */
  until: (text: string) => Promise<boolean>;
  done: Promise<CliResult>;
}

export function startLab(args: string[], opts: { env?: Record<string, string | undefined>; timeoutMs?: number } = {}): RunningLab {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does it).`);
  const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters: Array<() => void> = [];
  const heard = () => waiters.forEach((w) => w());
  child.stdout!.on('data', (c: Buffer) => ((stdout += c.toString()), heard()));
  child.stderr!.on('data', (c: Buffer) => ((stderr += c.toString()), heard()));
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      heard();
      // Killed by a signal it did not catch: the shell's 128 + its number.
      resolve({ exitCode: code ?? (signal ? 128 + constants.signals[signal] : -1), stdout, stderr });
    });
  });
  let ended = false;
  void done.then(() => (ended = true));
  const output = () => stdout + stderr;
  const until = (text: string) =>
    new Promise<boolean>((resolve) => {
      const check = () => {
        if (output().includes(text)) resolve(true);
        else if (ended || child.exitCode !== null) resolve(false);
        else return false;
        return true;
      };
      if (!check()) waiters.push(check);
    });
  return { child, output, until, done };
}
