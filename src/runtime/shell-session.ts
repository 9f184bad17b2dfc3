import { randomUUID } from 'node:crypto';
import { PassThrough, type Duplex } from 'node:stream';

/** What one command run in a shell session printed and ended with. */
export interface SessionResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** What a command printed before it was cut off: its shell went away, or was closed, before the command ended. */
export interface CutOff {
  cutOff: true;
  stdout: string;
  stderr: string;
}

/** Splits the engine's multiplexed exec stream into stdout and stderr (dockerode's demuxer). */
export type Demux = (stream: Duplex, stdout: PassThrough, stderr: PassThrough) => void;

/** One command on its way: what it printed so far, and how it ends. */
interface Pending {
  stdout: string;
  stderr: string;
  /** How much of stdout was handed to onStdout so far. */
  told: number;
  onStdout: ((text: string) => void) | undefined;
  exitCode: number | undefined;
  stderrDone: boolean;
  resolve: (r: SessionResult | CutOff) => void;
}

/** Single quotes for sh: each argument exactly as given. */
export const shellQuote = (argv: string[]) => argv.map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(' ');

/**
 * ARGV as the kept shell runs it: `sh -c SCRIPT` as SCRIPT itself, eval'd (in the subshell run gives every command:
 * a fork instead of a fork and an sh, 7 ms against 26 ms on a one-CPU guest; a syntax error stays that command's).
 */
const asCommand = (argv: string[]) =>
  (argv.length === 3 && argv[0] === 'sh' && argv[1] === '-c' ? `eval ${shellQuote([argv[2]!])}` : shellQuote(argv));

/**
 * One `sh` kept open in a container, commands written to its stdin: each costs the container a fork instead
 * of an exec (0.5-1.5 s each on a one-CPU machine, verify's main cost). A command runs in a subshell with
 * stdin from /dev/null (it can neither change the shell nor eat the commands after it); markers with a
 * random id end its stdout (with its exit code) and its stderr. One command at a time: `busy` says so.
 */
export class ShellSession {
  private readonly mark = `@@lab-shell-${randomUUID()}@@`;
  /** Where a command's stdout (with its exit code) and its stderr end. */
  private readonly ends = {
    stdout: new RegExp(`\\n${this.mark} (\\d+)\\n`),
    stderr: new RegExp(`\\n${this.mark}\\n`),
  };
  private pending: Pending | undefined;
  private ended = false;

  constructor(private readonly stream: Duplex, demux: Demux) {
    const [stdout, stderr] = [new PassThrough(), new PassThrough()];
    demux(stream, stdout, stderr);
    stdout.setEncoding('utf8').on('data', (text: string) => this.take('stdout', text));
    stderr.setEncoding('utf8').on('data', (text: string) => this.take('stderr', text));
    const end = () => this.end();
    stream.on('end', end).on('close', end).on('error', end);
  }

  /** A command is running (or the shell is gone): a caller runs its own exec instead of waiting. */
  get available(): boolean {
    return !this.ended && !this.pending;
  }

  /** The shell is still there (it may be running a command). */
  get open(): boolean {
    return !this.ended;
  }

  /**
   * Runs ARGV (the shell must be available), handing its stdout to ON_STDOUT as it comes; cut off (with what it
   * printed so far) when the shell went away before the command ended.
   */
  run(argv: string[], onStdout?: (text: string) => void): Promise<SessionResult | CutOff> {
    return new Promise((resolve) => {
      this.pending = { stdout: '', stderr: '', told: 0, onStdout, exitCode: undefined, stderrDone: false, resolve };
      const m = this.mark;
      this.stream.write(`(${asCommand(argv)}) </dev/null; printf '\\n${m} %d\\n' $?; printf '\\n${m}\\n' >&2\n`);
    });
  }

  /** Ends the shell (the commands it ran are over); a command still running is cut off: what it printed so far. */
  close(): CutOff | undefined {
    if (this.ended) return undefined;
    const cut = this.end();
    this.stream.end('exit 0\n');
    this.stream.destroy();
    return cut;
  }

  private take(from: 'stdout' | 'stderr', text: string): void {
    const p = this.pending;
    // Anything after its marker is not the command's (a process it left in the background): dropped.
    if (!p || (from === 'stdout' ? p.exitCode !== undefined : p.stderrDone)) return;
    p[from] += text;
    const m = this.ends[from].exec(p[from]);
    if (from === 'stdout') this.tell(p, m?.index);
    if (!m) return;
    p[from] = p[from].slice(0, m.index);
    if (from === 'stdout') p.exitCode = Number(m[1]);
    else p.stderrDone = true;
    if (p.exitCode === undefined || !p.stderrDone) return;
    this.pending = undefined;
    p.resolve({ stdout: p.stdout, stderr: p.stderr, exitCode: p.exitCode });
  }

  /** Hands on the stdout that is the command's: up to its end marker, or short of a last line that may begin one. */
  private tell(p: Pending, markerAt: number | undefined): void {
    if (!p.onStdout) return;
    const upTo = markerAt ?? this.surelyTheCommands(p.stdout);
    if (upTo <= p.told) return;
    p.onStdout(p.stdout.slice(p.told, upTo));
    p.told = upTo;
  }

  /**
   * How much of TEXT to hand on: all of it, unless its last line (with the \n before it) could be the start of
   * the marker. A last \n goes at once, for a reader waiting for the end of a line: when the marker follows it,
   * what was handed on ends with a line break that the result, cut before the marker, has not.
   */
  private surelyTheCommands(text: string): number {
    const last = text.lastIndexOf('\n');
    const line = text.slice(last + 1);
    const head = `${this.mark} `;
    const marking = line !== '' && (head.startsWith(line) || (line.startsWith(head) && /^\d*$/.test(line.slice(head.length))));
    return last >= 0 && marking ? last : text.length;
  }

  private end(): CutOff | undefined {
    this.ended = true;
    const p = this.pending;
    this.pending = undefined;
    if (!p) return undefined;
    const said = (text: string) => text.slice(0, this.surelyTheCommands(text));
    const cut: CutOff = { cutOff: true, stdout: said(p.stdout), stderr: said(p.stderr) };
    p.resolve(cut);
    return cut;
  }
}
