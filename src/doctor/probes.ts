import { randomBytes } from 'node:crypto';
import type { LabError } from '../errors.js';
import { LABEL, PROBE_LABEL } from '../labels.js';
import { errorMessage, type DockerRuntime } from '../runtime/docker.js';
import type { PrivilegeProfile } from '../scenario/schema.js';
import type { ProbeResult } from './checks.js';

const PROBE_PREFIX = 'lvs-lab-doctor-';
const PROBE_TIMEOUT_MS = 90_000;
/** A probe older than this is a leftover of a killed run (a probe lives a second or two). */
const STALE_PROBE_MS = 10 * 60_000;

/** How a probe container runs: a privilege profile, and Docker's tiny init or not. */
export interface ProbeProfile {
  privilege: PrivilegeProfile;
  tinyInit: boolean;
}

/**
 * Doctor's throwaway probe containers: each runs one command with no network, then is removed whatever
 * happened. The session remembers the ones not yet removed, so whoever made it can remove them on an
 * interrupt (`interrupt`); a session of its own otherwise (each probe removes itself).
 */
export class ProbeSession {
  /** Probes not yet removed, with the promise that settles once each one is gone. */
  private readonly live = new Map<string, Promise<ProbeResult>>();
  private staleRemoved: Promise<void> | undefined;

  /** `runId`: the `lab up` run the probes belong to; they carry its label, so its cleanup finds them too. */
  constructor(private readonly runtime: DockerRuntime, private readonly runId?: string) {}

  /** Runs cmd in a probe container of the image: what it did, never a throw. */
  run(image: string, cmd: string[], profile: ProbeProfile): Promise<ProbeResult> {
    const name = `${PROBE_PREFIX}${randomBytes(6).toString('hex')}`;
    const done = this.runOnce(name, image, cmd, profile).finally(() => this.live.delete(name));
    this.live.set(name, done);
    return done;
  }

  /** Does the engine start a container with this privilege profile? (For `auto`.) */
  async accepts(image: string, privilege: 'privileged' | 'capabilities'): Promise<boolean> {
    const r = await this.run(image, ['true'], { privilege, tinyInit: false });
    return r.kind === 'exited' && r.exitCode === 0;
  }

  /**
   * For SIGINT/SIGTERM handlers: the engine takes no new create from this process (each refused with
   * `refusal`), the probes in flight may finish (each removes itself; a create still on its way to the
   * engine would otherwise land after a remove), then any left are force-removed. Never throws.
   */
  async interrupt(refusal: LabError, waitMs = 5_000): Promise<void> {
    await this.runtime.refuseCreates(refusal);
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise((resolve) => (timer = setTimeout(resolve, waitMs)));
    await Promise.race([Promise.allSettled([...this.live.values()]), waited]);
    clearTimeout(timer);
    await Promise.all([...this.live.keys()].map((name) => this.runtime.removeContainer(name).catch(() => undefined)));
    this.live.clear();
  }

  private async runOnce(name: string, image: string, cmd: string[], profile: ProbeProfile): Promise<ProbeResult> {
    await (this.staleRemoved ??= this.removeStale().catch(() => undefined));
    const labels = { [PROBE_LABEL]: '1', ...(this.runId ? { [LABEL.run]: this.runId } : {}) };
    try {
      const ran = await this.runtime.runToExit({ name, image, cmd, labels, ...profile }, PROBE_TIMEOUT_MS);
      if (ran === 'timeout') return { kind: 'timeout', seconds: PROBE_TIMEOUT_MS / 1000 };
      return { kind: 'exited', exitCode: ran.exitCode, output: `${ran.stderr}${ran.stdout}` };
    } catch (err) {
      return { kind: 'error', message: errorMessage(err).trim() };
    } finally {
      // By name, with force: even a create whose answer was lost, or a probe still running, leaves nothing.
      await this.runtime.removeContainer(name).catch(() => undefined);
    }
  }

  /** Leftovers of a doctor that was killed mid-probe; recent ones may belong to a doctor running right now. */
  private async removeStale(): Promise<void> {
    const cutoff = Date.now() / 1000 - STALE_PROBE_MS / 1000;
    const stale = (await this.runtime.listContainers({ key: PROBE_LABEL })).filter((c) => c.created < cutoff);
    await Promise.all(stale.map((c) => this.runtime.removeContainer(c.id).catch(() => undefined)));
  }
}
