import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { finished } from 'node:stream/promises';
import { LabError, ExitCode, environmentError } from '../errors.js';
import type { DockerRuntime } from '../runtime/docker.js';
import { clients, director, realServers } from '../scenario/model.js';
import type { Scenario } from '../scenario/schema.js';
import type { Captures } from './evidence.js';
import { parseTcpdump } from './packets.js';

/** A tcpdump running inside a node while requests go by; it only listens on the lab's own interfaces. */
export interface Capture {
  node: string;
  device: string;
  filter: string;
  file: string;
}

const DIR = '/tmp/lab-captures';

// Each exec costs 0.5-0.8 s on a one-CPU guest, and verify needs several commands on each node: one exec runs
// them all, their outputs marked apart. A section that must stop the rest exits; else the script ends 0.
const SECTION = '@@lab-section@@';
// Sections wait for a line to show up in a file: `has TEXT FILE` reads it in the shell itself (a grep, a cat or a
// $(...) is a process: 20-30 ms each there, and a wait loop runs one per turn).
const HAS = 'has() { while IFS= read -r l || [ -n "$l" ]; do case $l in *"$1"*) return 0;; esac; ' +
  'done 2>/dev/null <"$2"; return 1; }';
// `interrupt PID`: SIGINT (tcpdump and arping flush what they have and end), then a wait for the end; killed after 5 s
// (what it printed so far is kept) and waited for 1 s more, so a stuck one never holds the exec to its time bound.
const INTERRUPT = 'interrupt() { kill -INT $1; i=0; while kill -0 $1 && [ $i -lt 120 ]; do [ $i = 100 ] && kill -KILL $1; ' +
  'sleep 0.05; i=$((i + 1)); done; } 2>/dev/null';

/** How long one exec of sections may take. */
const SECTIONS_MS = 30_000;

/** Runs each shell snippet in turn in one exec on NODE (with `has` and `interrupt` defined); their outputs, in order. */
export async function execSections(
  runtime: DockerRuntime, node: string, sections: string[], timeoutMs = SECTIONS_MS,
): Promise<{ exitCode: number; timedOut: boolean; outputs: string[] }> {
  const script = `${HAS}; ${INTERRUPT}; ${sections.map((s) => `{ ${s}; } 2>&1`).join(`; printf '\\n${SECTION}\\n'; `)}; exit 0`;
  const r = await runtime.exec(node, ['sh', '-c', script], { timeoutMs });
  return { exitCode: r.exitCode, timedOut: r.timedOut, outputs: r.stdout.split(`\n${SECTION}\n`) };
}

/** The capture tcpdump on NODE's DEVICE writes, filtered to FILTER. */
export function captureOn(node: string, device: string, filter: string): Capture {
  return { node, device, filter, file: `${DIR}/${node}-${device}.pcap` };
}

/**
 * Starts tcpdump in the background, writing the .pcap and printing its packets as `-e -n -tt` text (one tcpdump,
 * not a second to read the file back); ends once it is listening (so no packet is missed), exit 1 if it does not.
 * --immediate-mode: without it libpcap hands packets over in blocks (every 0.1 s to 1 s), and a block not yet handed
 * over when tcpdump is stopped is lost. A tcpdump older than 4.99 (CentOS 7's) has no --print: it only writes, and the stop
 * reads the file back.
 */
function startSection({ device, filter, file }: Capture): string {
  const run = (print: string) =>
    `(tcpdump -i ${device} --immediate-mode -U -w ${file} ${print}'${filter}' >${file}.txt 2>${file}.log & ` +
    `echo $! >${file}.pid); read p <${file}.pid; i=0; ` +
    `until has 'listening on' ${file}.log || ! kill -0 $p 2>/dev/null || [ $i -ge 100 ]; do sleep 0.1; i=$((i + 1)); done`;
  // The log and the marker (non-empty: the file is read back) are emptied by the shell itself: a process (rm, mkdir)
  // costs 25-40 ms on a one-CPU guest. Emptied before tcpdump starts, the log holds no "listening" of a run before.
  const fresh = `{ [ -d ${DIR} ] || mkdir -p ${DIR}; } && : >${file}.log && : >${file}.read || exit 1`;
  return `${fresh}; ${run('--print -l -e -n -tt ')}; ` +
    `if has --print ${file}.log; then echo yes >${file}.read; ${run('')}; fi; ` +
    `has 'listening on' ${file}.log || { cat ${file}.log; exit 1; }`;
}

/**
 * Stops tcpdump (SIGINT flushes the file and the text) and prints the packets' text. Stopped only once it sleeps
 * (state S in /proc: it has taken every packet the kernel holds for it; those it had not are lost at the stop),
 * or after 2 s.
 */
function stopSection({ file }: Capture): string {
  return `read p <${file}.pid; i=0; while read -r _ _ state _ </proc/$p/stat && [ "$state" != S ] && [ $i -lt 40 ]; ` +
    'do sleep 0.05; i=$((i + 1)); done 2>/dev/null; ' +
    'interrupt $p; ' +
    `if [ -s ${file}.read ]; then tcpdump -r ${file} -e -n -tt 2>/dev/null; else cat ${file}.txt; fi; true`;
}

/** Starts the capture, then runs the sections AFTER in the same exec (while it listens); their outputs. */
export async function startCapture(runtime: DockerRuntime, capture: Capture, after: string[] = []): Promise<string[]> {
  const { exitCode, outputs } = await execSections(runtime, capture.node, [startSection(capture), ...after]);
  if (exitCode !== 0) {
    const said = outputs.join('\n').trim() || `exit ${exitCode}`;
    throw new LabError(`tcpdump did not start on ${capture.node}: ${said}`, {
      exitCode: ExitCode.environment,
      hint: 'The capture needs tcpdump in the image and the NET_RAW capability (Docker gives it by default).',
    });
  }
  return outputs.slice(1);
}

/** Stops the capture and runs the sections AFTER in the same exec: its packets' text, then their outputs. */
export async function stopCapture(runtime: DockerRuntime, capture: Capture, after: string[] = []): Promise<string[]> {
  const { timedOut, outputs } = await execSections(runtime, capture.node, [stopSection(capture), ...after]);
  if (timedOut) {
    // Its packets were never read: judging the lab on none would blame the lab for a node that did not answer.
    const seconds = SECTIONS_MS / 1000;
    throw environmentError(`${capture.node} did not answer within ${seconds} s while its capture was stopped and read.`,
      `The machine is too busy: run \`lab verify\` again once it is less loaded (\`lab status\` shows the lab).`);
  }
  return outputs;
}

/** Each node's packets, from the text of its capture (in CAPTURES' order), sorted by node. */
export function sortCaptures(scenario: Scenario, captures: Capture[], texts: string[]): Captures {
  const byNode = Object.fromEntries(captures.map((c, i) => [c.node, parseTcpdump(texts[i] ?? '')]));
  return {
    client: byNode[clients(scenario)[0]!.name] ?? [],
    director: byNode[director(scenario).name] ?? [],
    realServers: Object.fromEntries(realServers(scenario).map((rs) => [rs.name, byNode[rs.name] ?? []])),
  };
}

/** Stops every capture and sorts their packets by node: the evidence the packet checks and hop tables read. */
export async function gatherEvidence(runtime: DockerRuntime, scenario: Scenario, captures: Capture[]): Promise<Captures> {
  const texts = await Promise.all(captures.map(async (c) => (await stopCapture(runtime, c))[0]!));
  return sortCaptures(scenario, captures, texts);
}

/** Copies a capture out of its node as a .pcap for Wireshark (binary-safe: streamed, not decoded). */
export async function copyCapture(runtime: DockerRuntime, capture: Capture, dir: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const dest = join(dir, `${capture.node}-${capture.device}.pcap`);
  const out = createWriteStream(dest);
  const { exitCode } = await runtime.execStream(capture.node, ['cat', capture.file], { stdout: out, stderr: new PassThrough() });
  out.end();
  await finished(out);
  if (exitCode !== 0) throw new Error(`could not read ${capture.file} on ${capture.node}`);
  return dest;
}
