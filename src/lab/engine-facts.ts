import { profileAccepted } from '../doctor/checks.js';
import type { DockerRuntime } from '../runtime/docker.js';
import { hasAuto, resolveAuto, type EngineFacts } from '../scenario/auto.js';
import { director, imageOf } from '../scenario/model.js';
import type { Scenario } from '../scenario/schema.js';

/** Probes what `auto` needs to know: which privilege profiles this engine starts, and its cgroup version. */
export async function probeEngineFacts(runtime: DockerRuntime, image: string): Promise<EngineFacts> {
  const [privileged, capabilities, info] = await Promise.all([
    profileAccepted(runtime, image, 'privileged'),
    profileAccepted(runtime, image, 'capabilities'),
    runtime.docker.info() as Promise<{ CgroupVersion?: string }>,
  ]);
  return { accepts: { privileged, capabilities }, cgroupVersion: info.CgroupVersion ?? '1' };
}

/** Decides a scenario's `auto` settings on this engine (no probe at all when there is none). */
export async function resolveOnEngine(runtime: DockerRuntime, scenario: Scenario): Promise<{ scenario: Scenario; notes: string[] }> {
  if (!hasAuto(scenario)) return { scenario, notes: [] };
  return resolveAuto(scenario, await probeEngineFacts(runtime, imageOf(scenario, director(scenario))));
}
