import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { batchScript, batchWatcher, splitBatchOutput } from '../../src/lab/batch.js';

// The script is run by a real sh, as `docker exec NODE sh -c SCRIPT` would: each command's own output and
// exit code come back apart, and the first failure stops the rest.
function run(commands: string[][]) {
  const { script, token } = batchScript(commands);
  const r = spawnSync('sh', ['-c', script], { encoding: 'utf8' });
  return { exitCode: r.status, out: splitBatchOutput(r.stdout, token, commands.length), err: splitBatchOutput(r.stderr, token, commands.length), token, raw: r.stdout };
}

describe('batched commands', () => {
  it('give each command its own stdout, stderr and exit code, byte for byte', () => {
    const r = run([['printf', 'a\\n'], ['sh', '-c', 'printf "no newline"; echo oops >&2'], ['printf', '%s\\n', "it's $(not) `run`"]]);
    expect(r.exitCode).toBe(0);
    expect(r.out.map((p) => [p.output, p.exitCode])).toEqual([['a\n', 0], ['no newline', 0], ["it's $(not) `run`\n", 0]]);
    expect(r.err.map((p) => p.output)).toEqual(['', 'oops\n', '']);
  });

  it('stop at the first failing command, which keeps its exit code; later ones never start', () => {
    const r = run([['true'], ['sh', '-c', 'echo bad >&2; exit 7'], ['touch', '/never']]);
    expect(r.exitCode).toBe(7);
    expect(r.out.map((p) => [p.started, p.exitCode])).toEqual([[true, 0], [true, 7], [false, undefined]]);
    expect(r.err[1]!.output).toBe('bad\n');
  });

  it('cannot be fooled by a command printing a marker with another token', () => {
    const r = run([['echo', '@@lab-000000000000 0 exit 0'], ['false']]);
    expect(r.out[0]!.output).toBe('@@lab-000000000000 0 exit 0\n');
    expect(r.out[1]!.exitCode).toBe(1);
  });

  it('are seen starting and ending while the output streams, markers split across chunks included', () => {
    const r = run([['echo', 'x'], ['echo', 'y']]);
    const seen: string[] = [];
    const watch = batchWatcher(r.token, { start: (i) => seen.push(`start ${i}`), end: (i) => seen.push(`end ${i}`) });
    for (let i = 0; i < r.raw.length; i += 7) watch(r.raw.slice(i, i + 7));
    expect(seen).toEqual(['start 0', 'end 0', 'start 1', 'end 1']);
  });
});
