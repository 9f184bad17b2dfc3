import Docker from 'dockerode';
import { DEBIAN_IMAGE } from '../../src/image-names.js';

/**
 * What the Docker host these tests run against can do, asked of the engine directly (not through lab's
 * own code, which is what the tests check). The host-engine test files assert the behaviour of the kind
 * of host they find, and say which in their test names: this machine's engine (no IPVS, --privileged
 * refused) and User-Mode Linux's (both) run the same files; most Ubuntu and Debian installs are the latter.
 */
export interface HostKind {
  /** The kernel under the engine has IPVS loaded (/proc/net/ip_vs exists in a container). */
  ipvs: boolean;
  /** The engine starts --privileged containers. */
  privileged: boolean;
  /** For test names: "IPVS, privileged allowed" or "no IPVS, privileged refused", ... */
  label: string;
}

const PROBE_LABELS = { 'io.lvs-lab.test-probe': 'host-kind' };

/** Runs CMD in a throw-away container of the lab image; true if it started and exited 0. */
async function probe(docker: Docker, cmd: string[], privileged: boolean): Promise<boolean> {
  const container = await docker.createContainer({
    Image: DEBIAN_IMAGE,
    Cmd: cmd,
    Labels: PROBE_LABELS,
    HostConfig: { NetworkMode: 'none', Privileged: privileged },
  });
  try {
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    return StatusCode === 0;
  } catch {
    return false; // a refused start: "unable to apply caps: operation not permitted"
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}

/** Needs the lab image on the engine (ensureHostImage). */
export async function probeHostKind(): Promise<HostKind> {
  const docker = new Docker();
  const [ipvs, privileged] = await Promise.all([
    probe(docker, ['test', '-e', '/proc/net/ip_vs'], false),
    probe(docker, ['true'], true),
  ]);
  const label = `${ipvs ? 'IPVS' : 'no IPVS'}, privileged ${privileged ? 'allowed' : 'refused'}`;
  process.stdout.write(`[host-kind] ${label}\n`);
  return { ipvs, privileged, label };
}
