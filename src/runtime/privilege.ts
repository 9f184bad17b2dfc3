import type Docker from 'dockerode';
import type { PrivilegeProfile } from '../scenario/schema.js';

/** dockerode's HostConfig type predates CgroupnsMode (API 1.41). */
type HostConfig = Docker.HostConfig & { CgroupnsMode?: 'private' | 'host' };

/**
 * The privilege profiles, each setting once: its docker CLI flag (what `--dry-run` shows a student) beside
 * the Engine API's HostConfig that the adapter sends. `capabilities` is what works where --privileged is refused.
 */
const PROFILES: Record<PrivilegeProfile, Array<{ flag: string; hostConfig: HostConfig }>> = {
  privileged: [{ flag: '--privileged=true', hostConfig: { Privileged: true } }],
  capabilities: [
    { flag: '--cap-add=ALL', hostConfig: { CapAdd: ['ALL'] } },
    { flag: '--cap-drop=SYS_RESOURCE', hostConfig: { CapDrop: ['SYS_RESOURCE'] } },
    { flag: '--security-opt=seccomp=unconfined', hostConfig: { SecurityOpt: ['seccomp=unconfined'] } },
    { flag: '--security-opt=apparmor=unconfined', hostConfig: { SecurityOpt: ['apparmor=unconfined'] } },
    { flag: '--security-opt=systempaths=unconfined', hostConfig: { MaskedPaths: [], ReadonlyPaths: [] } },
    // Its own cgroup namespace, where systemd may remount /sys/fs/cgroup read-write (container-command.ts).
    { flag: '--cgroupns=private', hostConfig: { CgroupnsMode: 'private' } },
  ],
  minimal: [{ flag: '--cap-add=NET_ADMIN', hostConfig: { CapAdd: ['NET_ADMIN'] } }],
};

/** The docker CLI flags of a profile, in the table's order. */
export function profileFlags(profile: PrivilegeProfile): string[] {
  return PROFILES[profile].map((s) => s.flag);
}

/** The HostConfig of a profile: its settings merged, lists joined (two --security-opt make one SecurityOpt). */
export function profileHostConfig(profile: PrivilegeProfile): HostConfig {
  const merged: Record<string, unknown> = {};
  for (const { hostConfig } of PROFILES[profile]) {
    for (const [key, value] of Object.entries(hostConfig)) {
      const before = merged[key];
      merged[key] = Array.isArray(before) && Array.isArray(value) ? [...before, ...value] : value;
    }
  }
  return merged as HostConfig;
}

/** What an engine that refuses --privileged answers when such a container starts. */
export const PRIVILEGED_REFUSED_PATTERN = /apply caps|operation not permitted/i;

/** Said by `lab up` when a privileged node does not start, and by doctor's privileged check. */
export const privilegedRefused = (what: string) => `This Docker engine refuses privileged containers (${what})`;
export const PRIVILEGED_REFUSED_FIX =
  'Run with `--privilege capabilities` (every capability but SYS_RESOURCE), or `--privilege minimal --init none` ' +
  'for least privilege.';
