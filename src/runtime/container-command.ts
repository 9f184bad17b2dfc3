import type { ContainerSpec } from './types.js';

/** systemd ignores SIGTERM as PID 1; SIGRTMIN+3 is its "halt" and stops it in a fraction of a second. */
export const SYSTEMD_STOP_SIGNAL = 'SIGRTMIN+3';

/**
 * What a node's container runs as PID 1. Under the capabilities profile on a cgroup v2 host, Docker mounts
 * /sys/fs/cgroup read-only and systemd exits at once ("Failed to create /init.scope control group:
 * Read-only file system"); with CAP_SYS_ADMIN in its own cgroup namespace the container may remount it
 * read-write first, as --privileged does. On cgroup v1 the remount is harmless.
 */
export function containerCommand(spec: Pick<ContainerSpec, 'init' | 'privilege'>): string[] {
  if (spec.init !== 'systemd') return ['sleep', 'infinity'];
  if (spec.privilege === 'capabilities') {
    return ['sh', '-c', 'mount -o remount,rw /sys/fs/cgroup 2>/dev/null; exec /usr/sbin/init'];
  }
  return ['/usr/sbin/init'];
}
