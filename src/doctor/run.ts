import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { LabError } from '../errors.js';
import { errorMessage, type DockerRuntime } from '../runtime/docker.js';
import type { Engine } from '../runtime/engine.js';
import type { EngineContainer, EngineInfo, EngineNetwork } from '../runtime/types.js';
import { director, imageOf } from '../scenario/model.js';
import type { Scenario } from '../scenario/schema.js';
import {
  CHECK_IDS,
  cgroupCheck,
  check,
  dockerCheck,
  dockerUnreachableCheck,
  imageCheck,
  ipvsCheck,
  ipvsProbeCommand,
  namesCheck,
  privilegedCheck,
  scenarioImages,
  subnetCheck,
  vipCheck,
  type CheckId,
  type DoctorCheck,
  type HostAddress,
  type ProbeResult,
} from './checks.js';
import { ProbeSession, type ProbeProfile } from './probes.js';
import { parseProcNetRoute, type HostRoute } from './routes.js';

/**
 * `lab doctor`: gathers the facts (engine queries, probe containers, this machine's routes and addresses)
 * and computes each row from them with the pure checks (checks.ts).
 */

export interface DoctorOptions {
  /** This machine's routes; default /proc/net/route on a local engine. */
  hostRoutes?: HostRoute[] | undefined;
  /** Owns the probe containers: pass one to remove them on an interrupt. Default: a session of its own. */
  probes?: ProbeSession;
  /** The rows to compute, in table order; default every one. */
  checks?: readonly CheckId[];
}

/** The IPVS probe needs NET_ADMIN only; the privileged one asks for exactly what a privileged node does. */
const IPVS_PROBE: ProbeProfile = { privilege: 'minimal', tinyInit: true };
const PRIVILEGED_PROBE: ProbeProfile = { privilege: 'privileged', tinyInit: false };

/** What the rows are computed from: each engine fact fetched once, on first use, shared by the rows. */
interface Facts {
  engine: Engine;
  version: () => Promise<{ version: string; apiVersion: string }>;
  info: () => Promise<EngineInfo>;
  imagesPresent: () => Promise<Record<string, boolean>>;
  networks: () => Promise<EngineNetwork[]>;
  containers: () => Promise<EngineContainer[]>;
  host: { routes: HostRoute[] | undefined; addresses: HostAddress[] | undefined };
  /** The director's image: the probes run in it. */
  probeImage: string;
  probe: (cmd: string[], profile: ProbeProfile) => Promise<ProbeResult>;
}

const ROWS: Record<CheckId, (scenario: Scenario, facts: Facts) => Promise<DoctorCheck>> = {
  docker: async (_, f) => dockerCheck(await f.version(), f.engine),
  image: async (s, f) => imageCheck(s, await f.imagesPresent()),
  cgroup: async (s, f) => cgroupCheck(s, await f.info(), (await f.version()).apiVersion),
  ipvs: async (s, f) => ipvsCheck(s, await f.probe(ipvsProbeCommand(s), IPVS_PROBE), f.probeImage),
  privileged: async (s, f) => privilegedCheck(s, await f.probe(['true'], PRIVILEGED_PROBE)),
  subnet: async (s, f) => subnetCheck(s, await f.networks(), f.host.routes),
  vip: async (s, f) => vipCheck(s, await f.containers(), f.host.addresses),
  // Probe containers have no network and names of their own: they never clash, so no need to leave them out.
  names: async (s, f) => namesCheck(s, await f.containers(), await f.networks()),
};

/**
 * The rows asked for (default every check), in table order. Without a runtime (the engine did not answer:
 * connect's error instead) the result is just the failing `docker` row, since nothing else can be checked.
 */
export async function runDoctor(
  engine: DockerRuntime | LabError,
  scenario: Scenario,
  opts: DoctorOptions = {},
): Promise<DoctorCheck[]> {
  if (engine instanceof LabError) return [dockerUnreachableCheck(engine)];
  const facts = gatherFacts(engine, scenario, opts);
  const ids = CHECK_IDS.filter((id) => (opts.checks ?? CHECK_IDS).includes(id));
  return Promise.all(ids.map((id) => guarded(id, () => ROWS[id](scenario, facts))));
}

function gatherFacts(runtime: DockerRuntime, scenario: Scenario, opts: DoctorOptions): Facts {
  const probes = opts.probes ?? new ProbeSession(runtime);
  const probeImage = imageOf(scenario, director(scenario));
  const imagesPresent = once(async () => {
    const images = scenarioImages(scenario);
    return Object.fromEntries(await Promise.all(images.map(async (i) => [i, await runtime.imageExists(i)] as const)));
  });
  return {
    engine: runtime.engine,
    version: once(() => runtime.version()),
    info: once(() => runtime.info()),
    imagesPresent,
    networks: once(() => runtime.listNetworks()),
    containers: once(() => runtime.listContainers()),
    host: opts.hostRoutes !== undefined ? { routes: opts.hostRoutes, addresses: undefined } : localHostFacts(runtime.engine),
    probeImage,
    // The probes need the director's image; without it they are skipped (the image row says why).
    probe: async (cmd, profile) => {
      const present = await imagesPresent().then((p) => p[probeImage] === true, () => false);
      if (!present) return { kind: 'skipped', reason: `image ${probeImage} is missing (see the image row)` };
      return probes.run(probeImage, cmd, profile);
    },
  };
}

/**
 * The call's promise, made on the first call and shared by the later ones. Its rejection is marked handled:
 * each row that awaits it still gets the error (`guarded`), but none becomes an unhandled rejection meanwhile.
 */
function once<T>(fetch: () => Promise<T>): () => Promise<T> {
  let promise: Promise<T> | undefined;
  return () => {
    if (!promise) {
      promise = fetch();
      promise.catch(() => undefined);
    }
    return promise;
  };
}

/** A row whose facts could not be had says so, with what to do; the other rows stand. */
async function guarded(id: CheckId, row: () => Promise<DoctorCheck>): Promise<DoctorCheck> {
  try {
    return await row();
  } catch (err) {
    return check(id, 'warn', `could not check: ${errorMessage(err).trim()}`,
      'Run `lab doctor` again; if it persists, look at the engine with `docker info`.');
  }
}

/** This machine's routes and IPv4 addresses, which a local engine's lab shares; none for a remote engine. */
function localHostFacts(engine: Engine): Facts['host'] {
  if (!engine.local) return { routes: undefined, addresses: undefined };
  let routes: HostRoute[] | undefined;
  try {
    routes = parseProcNetRoute(readFileSync('/proc/net/route', 'utf8'));
  } catch {
    routes = undefined;
  }
  const addresses = Object.entries(networkInterfaces()).flatMap(([iface, addrs]) =>
    (addrs ?? []).filter((a) => a.family === 'IPv4').map((a) => ({ iface, address: a.address })),
  );
  return { routes, addresses };
}
