import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { finished } from 'node:stream/promises';
import { LabError, ExitCode } from '../errors.js';
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

/** Starts tcpdump in the background and returns once it is listening (so no packet is missed). */
export async function startCapture(runtime: DockerRuntime, node: string, device: string, filter: string): Promise<Capture> {
  const file = `${DIR}/${node}-${device}.pcap`;
  const script =
    `mkdir -p ${DIR} && rm -f ${file} ${file}.log && ` +
    `(tcpdump -i ${device} -U -w ${file} '${filter}' >${file}.log 2>&1 & echo $! >${file}.pid) && ` +
    `for i in $(seq 100); do grep -q 'listening on' ${file}.log && exit 0; sleep 0.1; done; cat ${file}.log; exit 1`;
  const r = await runtime.exec(node, ['sh', '-c', script], { timeoutMs: 30_000 });
  if (r.exitCode !== 0) {
    throw new LabError(`tcpdump did not start on ${node}: ${(r.stdout + r.stderr).trim() || `exit ${r.exitCode}`}`, {
      exitCode: ExitCode.environment,
      hint: 'The capture needs tcpdump in the image and the NET_RAW capability (Docker gives it by default).',
    });
  }
  return { node, device, filter, file };
}

/** Stops tcpdump (SIGINT flushes the file) and returns the packets as `tcpdump -e -n -tt` text. */
export async function stopCapture(runtime: DockerRuntime, capture: Capture): Promise<string> {
  const pid = `$(cat ${capture.file}.pid)`;
  const script = `kill -INT ${pid} 2>/dev/null; while kill -0 ${pid} 2>/dev/null; do sleep 0.05; done; tcpdump -r ${capture.file} -e -n -tt 2>/dev/null`;
  return (await runtime.exec(capture.node, ['sh', '-c', script], { timeoutMs: 30_000 })).stdout;
}

/** Stops every capture and sorts their packets by node: the evidence the packet checks and hop tables read. */
export async function gatherEvidence(runtime: DockerRuntime, scenario: Scenario, captures: Capture[]): Promise<Captures> {
  const texts = await Promise.all(captures.map((c) => stopCapture(runtime, c)));
  const byNode = Object.fromEntries(captures.map((c, i) => [c.node, parseTcpdump(texts[i]!)]));
  return {
    client: byNode[clients(scenario)[0]!.name] ?? [],
    director: byNode[director(scenario).name] ?? [],
    realServers: Object.fromEntries(realServers(scenario).map((rs) => [rs.name, byNode[rs.name] ?? []])),
  };
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
