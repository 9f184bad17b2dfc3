import { randomBytes } from 'node:crypto';
import { shellJoin } from '../plan/shell.js';

/**
 * Consecutive commands on one node run as ONE `docker exec` of a shell script (an exec costs most of a
 * second on a slow engine), each command still on its own: the script prints a marker line before and
 * after each (with its exit code) on stdout and stderr, and stops at the first that fails. The markers
 * carry a random token, so no command's output can forge one.
 */
export interface Batch {
  script: string;
  token: string;
}

export function batchScript(commands: string[][], token = randomBytes(6).toString('hex')): Batch {
  const marker = `@@lab-${token}`;
  const mark = (what: string) => `printf '\\n${marker} %s\\n' "${what}"; printf '\\n${marker} %s\\n' "${what}" >&2`;
  const lines = commands.flatMap((argv, i) => [
    mark(`${i} start`),
    shellJoin(argv),
    `rc=$?; ${mark(`${i} exit $rc`)}; [ "$rc" -eq 0 ] || exit "$rc"`,
  ]);
  // Leading markers are printed on a fresh line, so a command whose output has no final newline keeps it.
  return { script: lines.join('\n'), token };
}

/** One command of a batch, as it ran: its own output, and its exit code if it finished. */
export interface BatchPart {
  started: boolean;
  exitCode: number | undefined;
  output: string;
}

/** Splits one stream of a batch's output into each command's part, by the markers. */
export function splitBatchOutput(text: string, token: string, count: number): BatchPart[] {
  const parts: BatchPart[] = Array.from({ length: count }, () => ({ started: false, exitCode: undefined, output: '' }));
  const re = new RegExp(`\\n?@@lab-${token} (\\d+) (start|exit)(?: (\\d+))?\\n`, 'g');
  let current: BatchPart | undefined;
  let from = 0;
  for (const m of text.matchAll(re)) {
    if (current) current.output += text.slice(from, m.index);
    from = m.index + m[0].length;
    const part = parts[Number(m[1])];
    if (!part) continue;
    if (m[2] === 'start') {
      part.started = true;
      current = part;
    } else {
      part.exitCode = Number(m[3]);
      current = undefined;
    }
  }
  if (current) current.output += text.slice(from);
  return parts;
}

/** Watches a batch's stdout as it streams: calls back when each command starts and ends, with the time. */
export function batchWatcher(
  token: string, on: { start(index: number): void; end(index: number): void },
): (chunk: string) => void {
  const re = new RegExp(`@@lab-${token} (\\d+) (start|exit)`, 'g');
  let tail = '';
  return (chunk: string) => {
    const text = tail + chunk;
    let last = 0;
    for (const m of text.matchAll(re)) {
      // Only whole marker lines count: a marker split across chunks is seen with the next chunk.
      const lineEnd = text.indexOf('\n', m.index);
      if (lineEnd < 0) break;
      last = lineEnd + 1;
      if (m[2] === 'start') on.start(Number(m[1]));
      else on.end(Number(m[1]));
    }
    tail = text.slice(Math.max(last, text.length - 200));
  };
}
