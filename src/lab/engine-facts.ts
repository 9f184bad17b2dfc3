import { ProbeSession } from '../doctor/probes.js';
import type { DockerRuntime } from '../runtime/docker.js';
import { hasAuto, resolveAuto, type EngineFacts } from '../scenario/auto.js';
import { director, imageOf } from '../scenario/model.js';
import type { Scenario } from '../scenario/schema.js';

/** Probes what `auto` needs to know: which privilege profiles this engine starts, and its cgroup version. */
export async function probeEngineFacts(
  runtime: DockerRuntime,
  image: string,
  probes: ProbeSession,
): Promise<EngineFacts> {
  const [privileged, capabilities, info] = await Promise.all([
    probes.accepts(image, 'privileged'),
    probes.accepts(image, 'capabilities'),
    runtime.info(),
  ]);
  return { accepts: { privileged, capabilities }, cgroupVersion: info.CgroupVersion ?? '1' };
}

/**
 * Decides a scenario's `auto` settings on this engine (no probe at all when there is none). Pass `probes`
 * to remove the probe containers on an interrupt; by default a session of its own.
 */
export async function resolveOnEngine(
  runtime: DockerRuntime,
  scenario: Scenario,
  probes = new ProbeSession(runtime),
): Promise<{ scenario: Scenario; notes: string[] }> {
  if (!hasAuto(scenario)) return { scenario, notes: [] };
  return resolveAuto(scenario, await probeEngineFacts(runtime, imageOf(scenario, director(scenario)), probes));
}
