import { Duplex, PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ShellSession } from '../../src/runtime/shell-session.js';

/** A session over an in-memory stream: what it writes (its command lines), and its stdout and stderr to feed. */
function session() {
  const written: string[] = [];
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, done) {
      written.push(chunk.toString('utf8'));
      done();
    },
  });
  const pipes: { stdout?: PassThrough; stderr?: PassThrough } = {};
  const shell = new ShellSession(stream, (_s, stdout, stderr) => Object.assign(pipes, { stdout, stderr }));
  const mark = () => /printf '\\n(@@lab-shell-[^ ]+@@) %d\\n'/.exec(written.at(-1) ?? '')![1]!;
  const out = (text: string) => pipes.stdout!.write(text);
  return { shell, stream, mark, out, err: (text: string) => pipes.stderr!.write(text) };
}

const turn = () => new Promise((r) => setImmediate(r));

describe('ShellSession', () => {
  // The command's output arrives in pieces cut anywhere, its end marker too: onStdout gets the command's output,
  // all of it and nothing of the marker, whatever the cut.
  it.each([1, 2, 3, 7, 20, 1000])('hands on stdout as it comes, never a piece of the end marker (pieces of %i)', async (size) => {
    const { shell, mark, out, err } = session();
    const pieces: string[] = [];
    const result = shell.run(['echo'], (t) => pieces.push(t));
    const said = `line one\n@@lab-shell-not-it\n${'x'.repeat(30)}\n`;
    const text = `${said}\n${mark()} 5\n`;
    for (let i = 0; i < text.length; i += size) out(text.slice(i, i + size));
    err(`\n${mark()}\n`);
    expect(await result).toEqual({ stdout: said, stderr: '', exitCode: 5 });
    // The marker's own \n, when it came alone, went on as a line break (see surelyTheCommands).
    expect([said, `${said}\n`]).toContain(pieces.join(''));
    if (size < said.length) expect(pieces.length).toBeGreaterThan(1);
  });

  it('a line ending is handed on at once (a reader of whole lines sees each as it comes)', async () => {
    const { shell, mark, out, err } = session();
    const pieces: string[] = [];
    const result = shell.run(['echo'], (t) => pieces.push(t));
    out('@@lab-batch 0 start\n');
    await turn();
    expect(pieces.join('')).toBe('@@lab-batch 0 start\n');
    out(`\n${mark()} 0\n`);
    err(`\n${mark()}\n`);
    expect((await result)?.stdout).toBe('@@lab-batch 0 start\n');
    expect(pieces.join('')).toBe('@@lab-batch 0 start\n');
  });

  it('a line that only begins like the marker is handed on once it cannot be it', async () => {
    const { shell, mark, out, err } = session();
    const pieces: string[] = [];
    const result = shell.run(['echo'], (t) => pieces.push(t));
    out(`start\n${mark().slice(0, 10)}`);
    await turn();
    expect(pieces.join('')).toBe('start');
    out('...not the marker\n');
    await turn();
    expect(pieces.join('')).toBe(`start\n${mark().slice(0, 10)}...not the marker\n`);
    out(`\n${mark()} 0\n`);
    err(`\n${mark()}\n`);
    expect((await result)?.stdout).toBe(`start\n${mark().slice(0, 10)}...not the marker\n`);
  });

  it('what a background process prints after the command\'s marker is not the command\'s', async () => {
    const { shell, mark, out, err } = session();
    const pieces: string[] = [];
    const result = shell.run(['echo'], (t) => pieces.push(t));
    out(`out\n\n${mark()} 0\n`);
    out('BACKGROUND\n');
    err(`\n${mark()}\n`);
    expect(await result).toEqual({ stdout: 'out\n', stderr: '', exitCode: 0 });
    expect(pieces.join('')).toBe('out\n');
  });

  it('closed while a command runs: the command is cut off with what it printed, never a piece of a marker', async () => {
    const { shell, mark, out, err } = session();
    const result = shell.run(['sleep', '9']);
    out(`half\n${mark().slice(0, 12)}`);
    err('warned\n');
    await turn();
    const cut = { cutOff: true, stdout: 'half', stderr: 'warned\n' };
    expect(shell.close()).toEqual(cut);
    expect(await result).toEqual(cut);
    expect(shell.open).toBe(false);
    expect(shell.close()).toBeUndefined(); // closed once
  });

  it('its stream gone while a command runs: cut off with what it printed; nothing running, nothing cut', async () => {
    const { shell, stream, out } = session();
    const result = shell.run(['sleep', '9']);
    out('started\n');
    await turn();
    stream.emit('end');
    expect(await result).toEqual({ cutOff: true, stdout: 'started\n', stderr: '' });
    expect(shell.available).toBe(false);
    expect(shell.close()).toBeUndefined();
  });
});
