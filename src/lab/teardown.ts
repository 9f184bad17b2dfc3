import { LABEL, labMade, type LabelFilter } from '../labels.js';
import { DockerRuntime } from '../runtime/docker.js';
import { labNameOf } from './find.js';

export interface TeardownResult {
  containers: string[];
  networks: string[];
  seconds: number;
}

/**
 * What `lab teardown` removes: one lab (a name or scenario file), or every lab. Only `every` says "every lab":
 * a lab may well be named `all`.
 */
export type TeardownTarget = { every: true } | { ref: string };

/** `lab teardown`: the target's lab-made containers and networks removed; the lab's name, `null` for every lab. */
export async function tearDown(target: TeardownTarget): Promise<TeardownResult & { lab: string | null }> {
  const lab = 'ref' in target ? await labNameOf(target.ref) : null;
  const runtime = await DockerRuntime.connect();
  return { lab, ...(await removeSelected(runtime, teardownSelector(lab))) };
}

/**
 * Removes the lab-made containers and networks of one lab and nothing else (not a look-alike carrying only
 * the lab label). Works from labels alone and finds nothing the second time.
 */
export async function teardown(runtime: DockerRuntime, lab: string): Promise<TeardownResult> {
  return removeSelected(runtime, teardownSelector(lab));
}

/** What a teardown selects: the lab-made objects of one lab, or of every lab (`null`). */
export const teardownSelector = (lab: string | null): LabelFilter[] =>
  lab === null ? labMade() : labMade({ key: LABEL.lab, value: lab });

/**
 * Removes what one `lab up` run made (its containers, networks and doctor probes: all carry its run
 * label), once every create it sent has been answered: a create still on its way would land after the list.
 */
export async function teardownRun(runtime: DockerRuntime, runId: string): Promise<TeardownResult> {
  await runtime.createsSettled();
  return removeSelected(runtime, [runFilter(runId)]);
}

/** What one run made, without removing it (for --keep-on-failure). */
export async function listRun(runtime: DockerRuntime, runId: string): Promise<Omit<TeardownResult, 'seconds'>> {
  await runtime.createsSettled();
  const [containers, networks] = await Promise.all([
    runtime.listContainers(runFilter(runId)),
    runtime.listNetworks(runFilter(runId)),
  ]);
  return { containers: containers.map((c) => c.name), networks: networks.map((n) => n.name) };
}

/** The run label alone selects: the id is random, so only that run's objects carry it. */
const runFilter = (runId: string): LabelFilter => ({ key: LABEL.run, value: runId });

async function removeSelected(runtime: DockerRuntime, filter: LabelFilter[]): Promise<TeardownResult> {
  const started = performance.now();
  const [containers, networks] = await Promise.all([runtime.listContainers(filter), runtime.listNetworks(filter)]);
  // Nothing in a lab container needs a graceful shutdown: all force-removed at once (the engine kills each
  // first; one call per container, none waiting for the others' kills), then the networks, which they no
  // longer use. The application's services go last: a real server whose NFS server died first hangs in its
  // hard mount, unkillable.
  const isService = (c: (typeof containers)[number]) => c.labels[LABEL.role] === 'service';
  for (const wave of [containers.filter((c) => !isService(c)), containers.filter(isService)]) {
    await Promise.all(wave.map((c) => runtime.removeContainer(c.id)));
  }
  await Promise.all(networks.map((n) => runtime.removeNetwork(n.id)));
  return {
    containers: containers.map((c) => c.name),
    networks: networks.map((n) => n.name),
    seconds: (performance.now() - started) / 1000,
  };
}
