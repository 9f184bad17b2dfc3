/** What the UML benches share: running sh and the built CLI as a student would, and timing it. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../cli/main.js', import.meta.url));

/** Runs a command line in sh; rejects, with its output, unless it exits 0. Resolves with its stdout. */
export function sh(script: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('close', (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`exit ${code}: ${script.slice(0, 200)}\n${(out + err).slice(-2000)}`));
    });
  });
}
export const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
/** `lab ARGS` through the built CLI, in a process of its own. */
export const lab = (args: string) => sh(`${q(process.execPath)} ${q(CLI)} ${args}`);
export async function timed<T>(what: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const t0 = performance.now();
  const value = await what();
  return { seconds: (performance.now() - t0) / 1000, value };
}
