import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import type Docker from 'dockerode';
import { environmentError, LabError } from '../errors.js';
import { DEBIAN_IMAGE, offlineBaseOf } from '../lab/images.js';
import { isLabMade, isLabMadeFor, LABEL } from '../lab/labels.js';
import { loadIpvsFix, requiredModules } from '../lvs/modules.js';
import { NO_IPVS_PATTERN } from '../lvs/ipvsadm.js';
import { errorMessage, profileHostConfig, type DockerRuntime } from '../runtime/docker.js';
import { canonicalCidr, cidrsOverlap, intToIp, isIpv4, parseCidr, type Cidr } from '../scenario/ipv4.js';
import { director, imageOf, initOf, privilegeOf, vipInterface } from '../scenario/model.js';
import type { Scenario } from '../scenario/schema.js';
import { shipped } from '../package.js';

/**
 * `lab doctor`: everything a lab needs from its environment, checked before anything is made, each with
 * the fix. `lab up` runs the same checks first (doctorFailure) and stops with their message instead of
 * failing half-way.
 */

export type CheckId = 'docker' | 'image' | 'cgroup' | 'ipvs' | 'privileged' | 'subnet' | 'vip' | 'names';
export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

export interface DoctorCheck {
  id: CheckId;
  title: string;
  status: CheckStatus;
  detail: string;
  /** What to do about it; null when there is nothing to do (pass, skip). */
  fix: string | null;
}

export const CHECK_TITLES: Record<CheckId, string> = {
  docker: 'Docker engine',
  image: 'Lab images',
  cgroup: 'cgroup and systemd',
  ipvs: 'IPVS in the kernel',
  privileged: 'Privileged containers',
  subnet: 'Subnets free',
  vip: 'VIP free',
  names: 'Names free',
};

/** Every throwaway container doctor makes carries this label (never the lab's labels: teardown ignores it). */
export const PROBE_LABEL = 'io.lvs-lab.doctor-probe';
const PROBE_PREFIX = 'lvs-lab-doctor-';
const PROBE_TIMEOUT_MS = 90_000;
/** A probe older than this is a leftover of a killed run (a probe lives a second or two). */
const STALE_PROBE_MS = 10 * 60_000;
/** The IPVS probe's exit codes: which part of the kernel support is missing. */
const IPVS_EXIT = { noIpvs: 10, noScheduler: 11, noIpip: 12 } as const;

const PRIVILEGED_REFUSED = /apply caps|operation not permitted/i;
const PRIVILEGE_FIX =
  'Run with `--privilege capabilities` (every capability but SYS_RESOURCE), or `--privilege minimal --init none` for least privilege.';

const check = (id: CheckId, status: CheckStatus, detail: string, fix: string | null = null): DoctorCheck => ({
  id,
  title: CHECK_TITLES[id],
  status,
  detail,
  fix: status === 'pass' || status === 'skip' ? null : fix,
});

const list = (items: string[]) => items.join(', ');

/** `1.40` < `1.41` < `1.100`: dotted numbers, compared part by part. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------------------
// Where the engine is
// ---------------------------------------------------------------------------------------------------------

/** How dockerode finds the engine (DOCKER_HOST, else the default socket), said the way a user sets it. */
export function dockerEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_HOST ? `DOCKER_HOST=${env.DOCKER_HOST}` : 'unix:///var/run/docker.sock (DOCKER_HOST unset)';
}

/** A local engine shares this machine's routes and addresses; a tcp:// or ssh:// one does not. */
export function engineIsLocal(env: NodeJS.ProcessEnv = process.env): boolean {
  return !env.DOCKER_HOST || env.DOCKER_HOST.startsWith('unix://');
}

// ---------------------------------------------------------------------------------------------------------
// Pure checks: data in, one row out
// ---------------------------------------------------------------------------------------------------------

export function dockerCheck(version: { version: string; apiVersion: string }, env: NodeJS.ProcessEnv = process.env): DoctorCheck {
  return check('docker', 'pass', `Docker ${version.version} (API ${version.apiVersion}) at ${dockerEndpoint(env)}`);
}

export function dockerUnreachableCheck(err: LabError): DoctorCheck {
  return check('docker', 'fail', err.message, err.hint ?? 'Start Docker, or point DOCKER_HOST at a running engine.');
}

/** The distinct images the scenario's nodes use, in node order. */
export function scenarioImages(scenario: Scenario): string[] {
  return [...new Set(scenario.nodes.map((n) => imageOf(scenario, n)))];
}

export function imageCheck(scenario: Scenario, present: Record<string, boolean>): DoctorCheck {
  const images = scenarioImages(scenario);
  const missing = images.filter((i) => !present[i]);
  if (missing.length === 0) return check('image', 'pass', `${list(images)} present`);
  const others = missing.filter((i) => offlineBaseOf(i) === undefined);
  const what = `Image${missing.length > 1 ? 's' : ''} ${list(missing)} not in this Docker engine`;
  if (others.length === 0) {
    // `lab up` builds the default image from Debian packages itself: missing is not a failure.
    return check(
      'image',
      'warn',
      `${what}; the IPVS and privileged probes need it`,
      '`lab up` builds it from Debian packages itself (once); to build it now, no registry needed: `lab images build --offline`, then run `lab doctor` again.',
    );
  }
  const fixes = others.map((i) =>
    /centos/i.test(i)
      ? `build ${i} where a registry is reachable (\`docker build -t ${i} ${shipped('images/centos7')}\`, see ${shipped('images/README.md')})`
      : `pull or build ${i} where a registry is reachable, or import a root filesystem: \`lab images import TAR --tag ${i}\``,
  );
  if (missing.includes(DEBIAN_IMAGE)) fixes.push(`${DEBIAN_IMAGE}: \`lab images build --offline\` (or let \`lab up\` build it)`);
  return check('image', 'fail', what, `${fixes.join('; ')}.`);
}

/** `docker info` says cgroup version 1 or 2; systemd 219 (CentOS 7) only boots on v1. */
export function cgroupCheck(
  scenario: Scenario,
  info: { CgroupVersion?: string; CgroupDriver?: string },
  apiVersion: string,
): DoctorCheck {
  const version = info.CgroupVersion ? `v${info.CgroupVersion}` : 'version unknown';
  const base = `cgroup ${version}, driver ${info.CgroupDriver ?? 'unknown'}`;
  const systemdNodes = scenario.nodes.filter((n) => initOf(scenario, n) === 'systemd');
  if (systemdNodes.length === 0) return check('cgroup', 'pass', `${base}; no node boots systemd`);
  const oldSystemd = systemdNodes.filter((n) => /centos/i.test(imageOf(scenario, n)));
  if (info.CgroupVersion === '2' && oldSystemd.length > 0) {
    return check(
      'cgroup',
      'warn',
      `${base}: systemd 219 in ${list([...new Set(oldSystemd.map((n) => imageOf(scenario, n)))])} cannot boot on cgroup v2 (nodes ${list(oldSystemd.map((n) => n.name))})`,
      `Use the Debian image (\`--image ${DEBIAN_IMAGE}\`), or run without systemd: \`--init none\`.`,
    );
  }
  if (compareVersions(apiVersion, '1.41') < 0) {
    return check(
      'cgroup',
      'warn',
      `${base}; engine API ${apiVersion} cannot give systemd a private cgroup namespace (needs API 1.41, Docker 20.10)`,
      'Upgrade Docker to 20.10 or newer, or run without systemd: `--init none`.',
    );
  }
  return check('cgroup', 'pass', `${base}; systemd on ${list(systemdNodes.map((n) => n.name))} gets a private cgroup namespace`);
}

/** What a throwaway container did: ran to an exit code, could not be made or started, or was not tried. */
export type ProbeResult =
  | { kind: 'exited'; exitCode: number; output: string }
  | { kind: 'timeout'; seconds: number }
  | { kind: 'error'; message: string }
  | { kind: 'skipped'; reason: string };

const firstLine = (text: string) => text.trim().split('\n')[0]?.trim() ?? '';
/** ipvsadm tries modprobe first; the line that says what is missing is its own "Can't initialize ipvs: ...". */
const tellingLine = (text: string) =>
  text.split('\n').map((l) => l.trim()).find((l) => /Can't initialize ipvs|Protocol not available/i.test(l)) ?? firstLine(text);

export function ipvsCheck(scenario: Scenario, probe: ProbeResult, image: string): DoctorCheck {
  const modules = requiredModules(scenario);
  const { scheduler } = scenario.service;
  switch (probe.kind) {
    case 'skipped':
      return check('ipvs', 'skip', `not probed: ${probe.reason}`);
    case 'timeout':
      return check('ipvs', 'fail', `the probe container (ipvsadm -Ln in ${image}) did not finish in ${probe.seconds} s`, 'Look at the engine: `docker info`, `docker ps -a`; then run `lab doctor` again.');
    case 'error':
      return check('ipvs', 'fail', `could not run the probe container (ipvsadm -Ln in ${image}): ${probe.message}`, `Check that the engine runs the image with NET_ADMIN: \`docker run --rm --cap-add NET_ADMIN ${image} ipvsadm -Ln\`.`);
    case 'exited': {
      const said = tellingLine(probe.output) || '(no output)';
      if (probe.exitCode === 0) {
        return check('ipvs', 'pass', `ipvsadm -Ln works; scheduler ${scheduler} loads${modules.includes('ipip') ? '; tunl0 exists (ipip)' : ''} (modules ${list(modules)})`);
      }
      if (probe.exitCode === IPVS_EXIT.noIpvs || NO_IPVS_PATTERN.test(probe.output)) {
        return check(
          'ipvs',
          'fail',
          `The kernel under Docker has no IPVS: ipvsadm -Ln says "${said}"`,
          loadIpvsFix(scenario),
        );
      }
      if (probe.exitCode === IPVS_EXIT.noScheduler) {
        return check('ipvs', 'fail', `IPVS works but scheduler ${scheduler} does not load: ipvsadm -A ... -s ${scheduler} says "${said}"`, `On the Docker host run \`sudo modprobe ip_vs_${scheduler}\`; each scheduler is its own module.`);
      }
      if (probe.exitCode === IPVS_EXIT.noIpip) {
        return check('ipvs', 'fail', 'IPVS works but the kernel has no ipip module: tunl0 does not exist (LVS-TUN needs it)', 'On the Docker host run `sudo modprobe ipip`.');
      }
      if (probe.exitCode === 127) {
        return check('ipvs', 'fail', `image ${image} has no ipvsadm ("${said}")`, `Use the lab image (\`--image ${DEBIAN_IMAGE}\`, built by \`lab images build --offline\`).`);
      }
      return check('ipvs', 'fail', `ipvsadm -Ln exited ${probe.exitCode}: "${said}"`, loadIpvsFix(scenario));
    }
  }
}

export function privilegedCheck(scenario: Scenario, probe: ProbeResult): DoctorCheck {
  const needing = scenario.nodes.filter((n) => privilegeOf(scenario, n) === 'privileged').map((n) => n.name);
  switch (probe.kind) {
    case 'skipped':
      return check('privileged', 'skip', `not probed: ${probe.reason}`);
    case 'timeout':
      return check('privileged', 'warn', `the probe container did not finish in ${probe.seconds} s`, 'Look at the engine: `docker info`; then run `lab doctor` again.');
    case 'exited':
      return check('privileged', 'pass', `privileged containers start${needing.length ? ` (nodes ${list(needing)} use them)` : ''}`);
    case 'error': {
      if (!PRIVILEGED_REFUSED.test(probe.message)) {
        return check('privileged', 'warn', `could not test: ${probe.message}`, 'Check the engine with `docker info`; then run `lab doctor` again.');
      }
      const reason = /unable to apply caps: operation not permitted/i.exec(probe.message)?.[0] ?? firstLine(probe.message);
      if (needing.length === 0) {
        return check(
          'privileged',
          'warn',
          `This Docker engine refuses privileged containers (${reason}); this scenario does not use them`,
          `Nothing to do for this run; for a scenario that asks for --privileged: ${PRIVILEGE_FIX.charAt(0).toLowerCase()}${PRIVILEGE_FIX.slice(1)}`,
        );
      }
      return check('privileged', 'fail', `This Docker engine refuses privileged containers (${reason}); nodes ${list(needing)} need them`, PRIVILEGE_FIX);
    }
  }
}

/** One network as the engine has it: every subnet, IPv4 only (the lab is IPv4). */
export interface EngineNetwork {
  name: string;
  subnets: string[];
  labels: Record<string, string>;
}

export interface EngineContainer {
  name: string;
  labels: Record<string, string>;
  /** Address per network. */
  addresses: Record<string, string>;
}

/** A row of /proc/net/route, decoded. */
export interface HostRoute {
  iface: string;
  destination: Cidr;
}

/** Any IPv4 prefix (0-32), unlike parseCidr, which only accepts what a scenario may use. */
function looseCidr(text: string): Cidr | undefined {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(text);
  if (!m || !isIpv4(m[1]!) || Number(m[2]) > 32) return undefined;
  return { network: m[1]!, prefix: Number(m[2]) };
}

/** /proc/net/route: addresses and masks are little-endian hex; the default route (mask 0) is left out. */
export function parseProcNetRoute(text: string): HostRoute[] {
  const leToIp = (hex: string) => {
    const n = Number.parseInt(hex, 16);
    return intToIp(((n & 0xff) << 24 | ((n >>> 8) & 0xff) << 16 | ((n >>> 16) & 0xff) << 8 | ((n >>> 24) & 0xff)) >>> 0);
  };
  const prefixOf = (maskIp: string) => maskIp.split('.').reduce((bits, o) => bits + Number(o).toString(2).replace(/0/g, '').length, 0);
  return text
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f.length >= 8 && /^[0-9A-Fa-f]{8}$/.test(f[1]!) && /^[0-9A-Fa-f]{8}$/.test(f[7]!))
    .map((f) => ({ iface: f[0]!, destination: { network: leToIp(f[1]!), prefix: prefixOf(leToIp(f[7]!)) } }))
    .filter((r) => r.destination.prefix > 0);
}

/** Docker's own bridges: their routes are the engine's networks, which the network list already covers. */
const isDockerBridge = (iface: string) => iface === 'docker0' || iface.startsWith('br-');

/**
 * Each scenario network's subnet against every network the engine has (except this lab's own) and, on a
 * local engine, against this machine's routes that are not Docker bridges.
 */
export function subnetCheck(scenario: Scenario, networks: EngineNetwork[], routes: HostRoute[] | undefined): DoctorCheck {
  const clashes: string[] = [];
  const routeClashes: string[] = [];
  const fine: string[] = [];
  for (const net of scenario.networks) {
    const subnet = parseCidr(net.subnet)!;
    const canonical = canonicalCidr(subnet);
    const overlapping = networks
      .filter((n) => !isLabMadeFor(n.labels, scenario.name))
      .flatMap((n) => n.subnets.map((s) => ({ n, s, cidr: looseCidr(s) })))
      .filter((x) => x.cidr && cidrsOverlap(subnet, x.cidr));
    for (const x of overlapping) clashes.push(`${canonical} (${net.name}) overlaps Docker network ${x.n.name} (${x.s}${x.n.labels[LABEL.lab] ? `, lab ${x.n.labels[LABEL.lab]}` : ''})`);
    const viaRoutes = (routes ?? []).filter((r) => !isDockerBridge(r.iface) && cidrsOverlap(subnet, r.destination));
    for (const r of viaRoutes) routeClashes.push(`${canonical} (${net.name}) overlaps host route ${canonicalCidr(r.destination)} dev ${r.iface}`);
    if (overlapping.length === 0 && viaRoutes.length === 0) fine.push(`${canonical} (${net.name}) free`);
  }
  const routeNote = routes === undefined ? '; host routes not checked (remote engine or no /proc/net/route)' : '';
  if (clashes.length > 0) {
    return check(
      'subnet',
      'fail',
      [...clashes, ...routeClashes].join('; '),
      'Remove the other network if it is a leftover (`docker network rm NAME`, or `lab teardown LAB` if it is a lab\'s), or copy the scenario and give networks[].subnet a free range.',
    );
  }
  if (routeClashes.length > 0) {
    return check(
      'subnet',
      'warn',
      `${routeClashes.join('; ')}: this machine would send that range to Docker instead`,
      'Fine for an internal lab; to keep the host\'s route usable, copy the scenario and give networks[].subnet a free range.',
    );
  }
  return check('subnet', 'pass', `${list(fine)}${routeNote}`);
}

/** The VIP must not be any container's address (the engine's view) nor, on a local engine, this machine's. */
export function vipCheck(scenario: Scenario, containers: EngineContainer[], hostAddresses: Array<{ iface: string; address: string }> | undefined): DoctorCheck {
  const { vip } = scenario.service;
  const net = vipInterface(scenario).network;
  const holders = containers.flatMap((c) =>
    Object.entries(c.addresses)
      .filter(([, ip]) => ip === vip)
      .map(([n]) => `container ${c.name} on ${n}${c.labels[LABEL.lab] ? ` (lab ${c.labels[LABEL.lab]})` : ''}`),
  );
  if (holders.length > 0) {
    return check('vip', 'fail', `VIP ${vip} is already the address of ${list(holders)}`, 'Remove that container (`docker rm -f NAME`, or `lab teardown LAB`), or copy the scenario and pick another service.vip.');
  }
  const onHost = (hostAddresses ?? []).filter((a) => a.address === vip);
  if (onHost.length > 0) {
    return check('vip', 'warn', `VIP ${vip} is an address of this machine (${list(onHost.map((a) => a.iface))})`, 'The lab works, but this machine cannot reach the lab\'s VIP; copy the scenario and pick another service.vip to avoid confusion.');
  }
  return check('vip', 'pass', `${vip} on ${net} is no container's address${hostAddresses ? ' nor this machine\'s' : ''}`);
}

/** The scenario's container and network names against what the engine has, labelled or not. */
export function namesCheck(scenario: Scenario, containers: EngineContainer[], networks: EngineNetwork[]): DoctorCheck {
  const wanted = { containers: scenario.nodes.map((n) => n.name), networks: scenario.networks.map((n) => n.name) };
  const taken = [
    ...containers.filter((c) => wanted.containers.includes(c.name)).map((c) => ({ kind: 'container', name: c.name, labels: c.labels })),
    ...networks.filter((n) => wanted.networks.includes(n.name)).map((n) => ({ kind: 'network', name: n.name, labels: n.labels })),
  ];
  const foreign = taken.filter((o) => !isLabMadeFor(o.labels, scenario.name));
  if (foreign.length > 0) {
    const named = foreign.map((o) => `${o.kind} ${o.name}${isLabMade(o.labels) ? ` (lab ${o.labels[LABEL.lab]})` : ' (not made by lab)'}`);
    return check(
      'names',
      'fail',
      `Names this lab needs are taken: ${list(named)}`,
      'lab never removes what it did not make. Remove or rename those yourself (`docker rm -f NAME`, `docker network rm NAME`), or tear down the other lab (`lab teardown LAB`).',
    );
  }
  if (taken.length > 0) {
    return check('names', 'warn', `Lab ${scenario.name} is already up, or being brought up by another \`lab up\` (${list(taken.map((o) => o.name))})`, `If another \`lab up\` is bringing it up, let it finish; then check it with \`lab verify ${scenario.name}\`, or remove it first: \`lab teardown ${scenario.name}\`.`);
  }
  return check('names', 'pass', `containers ${list(wanted.containers)} and network${wanted.networks.length > 1 ? 's' : ''} ${list(wanted.networks)} are free`);
}

// ---------------------------------------------------------------------------------------------------------
// Throwaway containers
// ---------------------------------------------------------------------------------------------------------

/** Probes of this process not yet removed, with the promise that settles once each one is gone. */
const liveProbes = new Map<string, Promise<unknown>>();

/**
 * For SIGINT/SIGTERM handlers: lets the probes in flight finish (each removes itself; a create still on
 * its way to the engine would otherwise land after a remove), then force-removes any left. Never throws.
 */
export async function removeLiveProbes(runtime: DockerRuntime, waitMs = 5_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.allSettled([...liveProbes.values()]), new Promise((r) => (timer = setTimeout(r, waitMs)))]);
  clearTimeout(timer);
  await Promise.all([...liveProbes.keys()].map((name) => runtime.removeContainer(name).catch(() => undefined)));
  liveProbes.clear();
}

/** Creates, starts and waits for a throwaway container with no network, then removes it whatever happened. */
function runProbe(runtime: DockerRuntime, image: string, cmd: string[], hostConfig: Docker.HostConfig, runId?: string): Promise<ProbeResult> {
  const name = `${PROBE_PREFIX}${randomBytes(6).toString('hex')}`;
  const labels = { [PROBE_LABEL]: '1', ...(runId ? { [LABEL.run]: runId } : {}) };
  const done = probeOnce(runtime, name, image, cmd, { labels, hostConfig }).finally(() => liveProbes.delete(name));
  liveProbes.set(name, done);
  return done;
}

async function probeOnce(runtime: DockerRuntime, name: string, image: string, cmd: string[], spec: { labels: Record<string, string>; hostConfig: Docker.HostConfig }): Promise<ProbeResult> {
  try {
    const container = await runtime.createContainer({
      name,
      Image: image,
      Cmd: cmd,
      Labels: spec.labels,
      HostConfig: { ...spec.hostConfig, NetworkMode: 'none', AutoRemove: false },
    });
    await container.start();
    const exitCode = await runtime.waitContainer(container, PROBE_TIMEOUT_MS);
    if (exitCode === 'timeout') return { kind: 'timeout', seconds: PROBE_TIMEOUT_MS / 1000 };
    const logs = await runtime.logs(name);
    return { kind: 'exited', exitCode, output: `${logs.stderr}${logs.stdout}` };
  } catch (err) {
    return { kind: 'error', message: errorMessage(err).trim() };
  } finally {
    // By name, with force: even a create whose answer was lost, or a probe still running, leaves nothing.
    await runtime.removeContainer(name).catch(() => undefined);
  }
}

/** Does the engine start a container with this privilege profile? (For `auto`.) */
export async function profileAccepted(runtime: DockerRuntime, image: string, profile: 'privileged' | 'capabilities'): Promise<boolean> {
  const r = await runProbe(runtime, image, ['true'], profileHostConfig(profile));
  return r.kind === 'exited' && r.exitCode === 0;
}

/** `ipvsadm -Ln`, then the scenario's own service with its scheduler (loads ip_vs_<sched>), in a private netns. */
export function ipvsProbeCommand(scenario: Scenario): string[] {
  const { vip, port, protocol, scheduler } = scenario.service;
  const tun = requiredModules(scenario).includes('ipip');
  const script = [
    `ipvsadm -Ln >/dev/null || exit ${IPVS_EXIT.noIpvs}`,
    `ipvsadm -A ${protocol === 'udp' ? '-u' : '-t'} "$1" -s "$2" || exit ${IPVS_EXIT.noScheduler}`,
    'ipvsadm -C',
    ...(tun ? [`[ -e /sys/class/net/tunl0 ] || exit ${IPVS_EXIT.noIpip}`] : []),
  ].join('; ');
  return ['sh', '-c', script, 'ipvs-probe', `${vip}:${port}`, scheduler];
}

/** Leftovers of a doctor that was killed mid-probe; recent ones may belong to a doctor running right now. */
async function removeStaleProbes(runtime: DockerRuntime): Promise<void> {
  const list = await runtime.docker.listContainers({ all: true, filters: JSON.stringify({ label: [PROBE_LABEL] }) });
  const cutoff = Date.now() / 1000 - STALE_PROBE_MS / 1000;
  await Promise.all(list.filter((c) => c.Created < cutoff).map((c) => runtime.removeContainer(c.Id).catch(() => undefined)));
}

// ---------------------------------------------------------------------------------------------------------
// Everything together
// ---------------------------------------------------------------------------------------------------------

export interface DoctorOptions {
  /** Environment to read DOCKER_HOST from (tests). */
  env?: NodeJS.ProcessEnv;
  /** This machine's routes; default /proc/net/route on a local engine. */
  hostRoutes?: HostRoute[] | undefined;
  /** The `lab up` run the probes belong to: they carry its label, so its cleanup finds them too. */
  runId?: string;
}

function localHostFacts(env: NodeJS.ProcessEnv): { routes: HostRoute[] | undefined; addresses: Array<{ iface: string; address: string }> | undefined } {
  if (!engineIsLocal(env)) return { routes: undefined, addresses: undefined };
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

/** The same promise, with its rejection marked as handled (whoever awaits it still gets the error). */
function handled<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

const guarded = async (id: CheckId, fn: () => Promise<DoctorCheck>): Promise<DoctorCheck> => {
  try {
    return await fn();
  } catch (err) {
    return check(id, 'warn', `could not check: ${errorMessage(err).trim()}`, 'Run `lab doctor` again; if it persists, look at the engine with `docker info`.');
  }
};

/** Every network of the engine, labelled or not: what the subnet and names checks compare against. */
export async function engineNetworks(runtime: DockerRuntime): Promise<EngineNetwork[]> {
  const list = await runtime.docker.listNetworks();
  return list.map((n) => ({ name: n.Name, subnets: (n.IPAM?.Config ?? []).flatMap((c) => (c.Subnet ? [c.Subnet] : [])), labels: n.Labels ?? {} }));
}

/** Every container of the engine, labelled or not: what the VIP and names checks compare against. */
export async function engineContainers(runtime: DockerRuntime): Promise<EngineContainer[]> {
  const list = await runtime.docker.listContainers({ all: true });
  return list.map((c) => ({
    name: (c.Names[0] ?? c.Id).replace(/^\//, ''),
    labels: c.Labels ?? {},
    addresses: Object.fromEntries(Object.entries(c.NetworkSettings?.Networks ?? {}).flatMap(([n, ep]) => (ep.IPAddress ? [[n, ep.IPAddress]] : []))),
  }));
}

/**
 * Every check, in table order. Without a runtime (the engine did not answer: pass connect's error) the
 * result is just the failing `docker` row, since nothing else can be checked.
 */
export async function runDoctor(runtime: DockerRuntime | undefined, scenario: Scenario, connectError?: LabError, opts: DoctorOptions = {}): Promise<DoctorCheck[]> {
  const env = opts.env ?? process.env;
  if (!runtime) {
    return [dockerUnreachableCheck(connectError ?? environmentError(`No Docker engine answers at ${dockerEndpoint(env)}.`, 'Start Docker, or point DOCKER_HOST at a running engine.'))];
  }
  const probeImage = imageOf(scenario, director(scenario));
  const images = scenarioImages(scenario);

  // The engine queries start at once and are shared by the rows; a failure shows in each row that awaits it
  // (`guarded`), so mark them handled now: none may become an unhandled rejection while another is awaited.
  const versionP = handled(runtime.version());
  const infoP = handled(runtime.docker.info() as Promise<{ CgroupVersion?: string; CgroupDriver?: string }>);
  const presentP = handled(Promise.all(images.map(async (i) => [i, await runtime.imageExists(i)] as const)).then((e) => Object.fromEntries(e)));
  const networksP = handled(engineNetworks(runtime));
  // Probe containers have no network and names of their own: they never clash, so no need to leave them out.
  const containersP = handled(engineContainers(runtime));
  // The probes need the director's image; without it they are skipped (the image row says why).
  const probeImagePresent = presentP.then((p) => p[probeImage] === true).catch(() => false);
  const probe = async (cmd: string[], hostConfig: Docker.HostConfig): Promise<ProbeResult> =>
    (await probeImagePresent) ? runProbe(runtime, probeImage, cmd, hostConfig, opts.runId) : { kind: 'skipped', reason: `image ${probeImage} is missing (see the image row)` };
  await removeStaleProbes(runtime).catch(() => undefined);

  const host = opts.hostRoutes !== undefined ? { routes: opts.hostRoutes, addresses: undefined } : localHostFacts(env);
  const rows = await Promise.all([
    guarded('docker', async () => dockerCheck(await versionP, env)),
    guarded('image', async () => imageCheck(scenario, await presentP)),
    guarded('cgroup', async () => cgroupCheck(scenario, await infoP, (await versionP).apiVersion)),
    guarded('ipvs', async () => ipvsCheck(scenario, await probe(ipvsProbeCommand(scenario), { CapAdd: ['NET_ADMIN'], Init: true }), probeImage)),
    guarded('privileged', async () => privilegedCheck(scenario, await probe(['true'], { Privileged: true }))),
    guarded('subnet', async () => subnetCheck(scenario, await networksP, host.routes)),
    guarded('vip', async () => vipCheck(scenario, await containersP, host.addresses)),
    guarded('names', async () => namesCheck(scenario, await containersP, await networksP)),
  ]);
  return rows;
}

/** Does the environment let this scenario come up? Warnings do not stop it (unless named in `failOnWarn`). */
export function doctorOk(checks: DoctorCheck[]): boolean {
  return !checks.some((c) => c.status === 'fail');
}

/**
 * The failing checks as one error (exit 3): the message names them, the details give what each found,
 * the hint gives each fix. `up` passes `failOnWarn: ['names']` so a lab that is already up stops it too.
 */
export function doctorFailure(checks: DoctorCheck[], opts: { failOnWarn?: CheckId[] } = {}): LabError | undefined {
  const failing = checks.filter((c) => c.status === 'fail' || (c.status === 'warn' && opts.failOnWarn?.includes(c.id)));
  if (failing.length === 0) return undefined;
  if (failing.length === 1) {
    const only = failing[0]!;
    return environmentError(/[.!?]$/.test(only.detail) ? only.detail : `${only.detail}.`, only.fix ?? undefined);
  }
  return environmentError(
    `${failing.length} checks failed: ${list(failing.map((c) => c.title))}.`,
    failing.map((c) => `${c.title}: ${c.fix ?? '(no fix known)'}`).join('\n     '),
    failing.map((c) => `${c.title}: ${c.detail}`),
  );
}
