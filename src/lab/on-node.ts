import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { DockerRuntime } from '../runtime/docker.js';
import { findNodeContainer, type NodeTarget } from './find.js';

/** Where a node's command writes: the user's terminal, or a file. */
export interface Sinks {
  stdout: Writable;
  stderr: Writable;
}

/** `lab exec [LAB] NODE -- CMD`: the command on a lab-made node, its output to `sinks`; its exit code. */
export async function execOnNode(target: NodeTarget, argv: string[], sinks: Sinks): Promise<number> {
  const runtime = await DockerRuntime.connect();
  const container = await findNodeContainer(runtime, target.node, target.lab);
  return (await runtime.execStream(container.id, argv, sinks)).exitCode;
}

/** The image's own login shell: bash where it has one. */
const LOGIN_SHELL = ['sh', '-c', 'if command -v bash >/dev/null; then exec bash -l; else exec sh -l; fi'];

/** `lab shell [LAB] NODE`: an interactive login shell on a lab-made node, on this terminal; its exit code. */
export async function shellOnNode(target: NodeTarget): Promise<number> {
  const runtime = await DockerRuntime.connect();
  const container = await findNodeContainer(runtime, target.node, target.lab);
  return runtime.execInteractive(container.id, LOGIN_SHELL);
}

export interface CaptureRequest extends NodeTarget {
  interface: string;
  /** Stop after this many packets... */
  count: number;
  /** ...or after this many seconds, whichever comes first. */
  seconds: number;
  /** A tcpdump filter expression; empty for every packet. */
  filter: string;
  /** A .pcap file on this machine to write; none prints the packets. */
  write?: string | undefined;
}

/** timeout's 124 means "stopped by --seconds": a normal end of a capture. */
const STOPPED_BY_TIMEOUT = 124;

/**
 * `lab capture NODE`: tcpdump on a lab-made node's interface, the packets printed to `sinks.stdout` or saved as
 * a .pcap on this machine (tcpdump's messages to `sinks.stderr`); 0 once it stopped as asked, else its exit code.
 */
export async function captureOnNode(request: CaptureRequest, sinks: Sinks): Promise<number> {
  const runtime = await DockerRuntime.connect();
  const container = await findNodeContainer(runtime, request.node, request.lab);
  const { seconds, count, filter } = request;
  const tcpdump = ['timeout', String(seconds), 'tcpdump', '-i', request.interface, '-c', String(count), '-U'];
  const filterArgs = filter ? [filter] : [];
  const exitCode = request.write
    ? await saveCapture(runtime, container.id, [...tcpdump, '-w', '-', ...filterArgs], request.write, sinks.stderr)
    : (await runtime.execStream(container.id, [...tcpdump, '-e', '-n', '-l', ...filterArgs], sinks)).exitCode;
  return exitCode === STOPPED_BY_TIMEOUT ? 0 : exitCode;
}

async function saveCapture(runtime: DockerRuntime, container: string, argv: string[], path: string, stderr: Writable) {
  const file = createWriteStream(path);
  const { exitCode } = await runtime.execStream(container, argv, { stdout: file, stderr });
  file.end();
  await finished(file);
  return exitCode;
}
