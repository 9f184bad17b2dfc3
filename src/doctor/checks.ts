import { environmentError, type LabError } from '../errors.js';
import { DEBIAN_IMAGE, offlineBaseOf } from '../image-names.js';
import { isLabMade, isLabMadeFor, LABEL } from '../labels.js';
import { NO_IPVS_PATTERN } from '../lvs/ipvsadm.js';
import { loadIpvsFix, NO_IPIP, noIpvsMessage, requiredModules } from '../lvs/modules.js';
import { shipped } from '../package.js';
import { PRIVILEGED_REFUSED_FIX, PRIVILEGED_REFUSED_PATTERN, privilegedRefused } from '../runtime/privilege.js';
import { describeEngine, type Engine } from '../runtime/engine.js';
import type { EngineContainer, EngineInfo, EngineNetwork } from '../runtime/types.js';
import { containerName } from '../scenario/instance.js';
import { canonicalCidr, cidrsOverlap, isIpv4, parseCidr, type Cidr } from '../scenario/ipv4.js';
import { imageOf, initOf, privilegeOf, vipInterface } from '../scenario/model.js';
import type { Scenario } from '../scenario/schema.js';
import type { HostRoute } from './routes.js';

/**
 * `lab doctor`'s checks, pure: the facts gathered from the engine and this machine (run.ts) in, one row
 * out, every warning and failure with its fix. `lab up` stops on the same rows (doctorFailure) rather
 * than failing half-way.
 */

export type CheckId = 'docker' | 'image' | 'cgroup' | 'ipvs' | 'privileged' | 'subnet' | 'vip' | 'names';
export type DoctorStatus = 'pass' | 'warn' | 'fail' | 'skip';

export interface DoctorCheck {
  id: CheckId;
  title: string;
  status: DoctorStatus;
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
/** Every check, in table order. */
export const CHECK_IDS = Object.keys(CHECK_TITLES) as CheckId[];

/** The IPVS probe's exit codes: which part of the kernel support is missing. */
const IPVS_EXIT = { noIpvs: 10, noScheduler: 11, noIpip: 12 } as const;

/** What a throwaway container did: ran to an exit code, could not be made or started, or was not tried. */
export type ProbeResult =
  | { kind: 'exited'; exitCode: number; output: string }
  | { kind: 'timeout'; seconds: number }
  | { kind: 'error'; message: string }
  | { kind: 'skipped'; reason: string };

/** A container as the checks read it (a listing's other fields do not matter to them). */
export type ListedContainer = Pick<EngineContainer, 'name' | 'labels' | 'addresses'>;
export type ListedNetwork = Pick<EngineNetwork, 'name' | 'subnets' | 'labels'>;
export type HostAddress = { iface: string; address: string };

const LOOK_AT_ENGINE = 'Look at the engine: `docker info`';

export function check(id: CheckId, status: DoctorStatus, detail: string, fix: string | null = null): DoctorCheck {
  return { id, title: CHECK_TITLES[id], status, detail, fix: status === 'pass' || status === 'skip' ? null : fix };
}

const list = (items: string[]) => items.join(', ');
const plural = (n: number, word: string) => `${word}${n > 1 ? 's' : ''}`;
/** Which lab an object belongs to by its label, for a message (empty when it has none). */
const labOf = (labels: Record<string, string>) => labels[LABEL.lab] ?? '';

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
// The rows: facts in, one row out
// ---------------------------------------------------------------------------------------------------------

const START_DOCKER = 'Start Docker, or point DOCKER_HOST at a running engine.';

export function dockerCheck(version: { version: string; apiVersion: string }, engine: Engine): DoctorCheck {
  return check('docker', 'pass', `Docker ${version.version} (API ${version.apiVersion}), ${describeEngine(engine)}`);
}

export function dockerUnreachableCheck(err: LabError): DoctorCheck {
  return check('docker', 'fail', err.message, err.hint ?? START_DOCKER);
}


/** The distinct images the scenario's nodes use, in node order. */
export function scenarioImages(scenario: Scenario): string[] {
  return [...new Set(scenario.nodes.map((n) => imageOf(scenario, n)))];
}

/** How to get an image lab cannot build here itself. */
function imageFix(image: string): string {
  if (/centos/i.test(image)) {
    return `build ${image} where a registry is reachable (\`docker build -t ${image} ${shipped('images/centos7')}\`, ` +
      `see ${shipped('images/README.md')})`;
  }
  return `pull or build ${image} where a registry is reachable, or import a root filesystem: ` +
    `\`lab images import TAR --tag ${image}\``;
}

export function imageCheck(scenario: Scenario, present: Record<string, boolean>): DoctorCheck {
  const images = scenarioImages(scenario);
  const missing = images.filter((i) => !present[i]);
  if (missing.length === 0) return check('image', 'pass', `${list(images)} present`);
  const others = missing.filter((i) => offlineBaseOf(i) === undefined);
  const what = `${plural(missing.length, 'Image')} ${list(missing)} not in this Docker engine`;
  if (others.length === 0) {
    // `lab up` builds the default image from Debian packages itself: missing is not a failure.
    return check('image', 'warn', `${what}; the IPVS and privileged probes need it`,
      '`lab up` builds it from Debian packages itself (once); to build it now, no registry needed: ' +
        '`lab images build --offline`, then run `lab doctor` again.');
  }
  const fixes = others.map(imageFix);
  if (missing.includes(DEBIAN_IMAGE)) {
    fixes.push(`${DEBIAN_IMAGE}: \`lab images build --offline\` (or let \`lab up\` build it)`);
  }
  return check('image', 'fail', what, `${fixes.join('; ')}.`);
}

/** `docker info` says cgroup version 1 or 2; systemd 219 (CentOS 7) only boots on v1. */
export function cgroupCheck(scenario: Scenario, info: EngineInfo, apiVersion: string): DoctorCheck {
  const version = info.CgroupVersion ? `v${info.CgroupVersion}` : 'version unknown';
  const base = `cgroup ${version}, driver ${info.CgroupDriver ?? 'unknown'}`;
  const systemdNodes = scenario.nodes.filter((n) => initOf(scenario, n) === 'systemd');
  if (systemdNodes.length === 0) return check('cgroup', 'pass', `${base}; no node boots systemd`);
  const oldSystemd = systemdNodes.filter((n) => /centos/i.test(imageOf(scenario, n)));
  if (info.CgroupVersion === '2' && oldSystemd.length > 0) {
    const images = list([...new Set(oldSystemd.map((n) => imageOf(scenario, n)))]);
    return check('cgroup', 'warn',
      `${base}: systemd 219 in ${images} cannot boot on cgroup v2 (nodes ${list(oldSystemd.map((n) => n.name))})`,
      `Use the Debian image (\`--image ${DEBIAN_IMAGE}\`), or run without systemd: \`--init none\`.`);
  }
  if (compareVersions(apiVersion, '1.41') < 0) {
    return check('cgroup', 'warn',
      `${base}; engine API ${apiVersion} cannot give systemd a private cgroup namespace (needs API 1.41, Docker 20.10)`,
      'Upgrade Docker to 20.10 or newer, or run without systemd: `--init none`.');
  }
  const names = list(systemdNodes.map((n) => n.name));
  return check('cgroup', 'pass', `${base}; systemd on ${names} gets a private cgroup namespace`);
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

const firstLine = (text: string) => text.trim().split('\n')[0]?.trim() ?? '';
/** ipvsadm tries modprobe first; the line that says what is missing is its own "Can't initialize ipvs: ...". */
const tellingLine = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .find((l) => /Can't initialize ipvs|Protocol not available/i.test(l)) ?? firstLine(text);

export function ipvsCheck(scenario: Scenario, probe: ProbeResult, image: string): DoctorCheck {
  const what = `the probe container (ipvsadm -Ln in ${image})`;
  switch (probe.kind) {
    case 'skipped':
      return check('ipvs', 'skip', `not probed: ${probe.reason}`);
    case 'timeout':
      return check('ipvs', 'fail', `${what} did not finish in ${probe.seconds} s`,
        `${LOOK_AT_ENGINE}, \`docker ps -a\`; then run \`lab doctor\` again.`);
    case 'error':
      return check('ipvs', 'fail', `could not run ${what}: ${probe.message}`,
        'Check that the engine runs the image with NET_ADMIN: ' +
          `\`docker run --rm --cap-add NET_ADMIN ${image} ipvsadm -Ln\`.`);
    case 'exited':
      return ipvsExitCheck(scenario, probe, image);
  }
}

/** The IPVS probe ran: its exit code (IPVS_EXIT) says what the kernel lacks. */
function ipvsExitCheck(scenario: Scenario, probe: { exitCode: number; output: string }, image: string): DoctorCheck {
  const modules = requiredModules(scenario);
  const { scheduler } = scenario.service;
  const said = tellingLine(probe.output) || '(no output)';
  if (probe.exitCode === 0) {
    const tunl0 = modules.includes('ipip') ? '; tunl0 exists (ipip)' : '';
    return check('ipvs', 'pass', `ipvsadm -Ln works; scheduler ${scheduler} loads${tunl0} (modules ${list(modules)})`);
  }
  if (probe.exitCode === IPVS_EXIT.noIpvs || NO_IPVS_PATTERN.test(probe.output)) {
    return check('ipvs', 'fail', noIpvsMessage('ipvsadm -Ln', said), loadIpvsFix(scenario));
  }
  if (probe.exitCode === IPVS_EXIT.noScheduler) {
    return check('ipvs', 'fail',
      `IPVS works but scheduler ${scheduler} does not load: ipvsadm -A ... -s ${scheduler} says "${said}"`,
      `On the Docker host run \`sudo modprobe ip_vs_${scheduler}\`; each scheduler is its own module.`);
  }
  if (probe.exitCode === IPVS_EXIT.noIpip) return check('ipvs', 'fail', NO_IPIP.message, NO_IPIP.fix);
  if (probe.exitCode === 127) {
    return check('ipvs', 'fail', `image ${image} has no ipvsadm ("${said}")`,
      `Use the lab image (\`--image ${DEBIAN_IMAGE}\`, built by \`lab images build --offline\`).`);
  }
  return check('ipvs', 'fail', `ipvsadm -Ln exited ${probe.exitCode}: "${said}"`, loadIpvsFix(scenario));
}

export function privilegedCheck(scenario: Scenario, probe: ProbeResult): DoctorCheck {
  const needing = scenario.nodes.filter((n) => privilegeOf(scenario, n) === 'privileged').map((n) => n.name);
  switch (probe.kind) {
    case 'skipped':
      return check('privileged', 'skip', `not probed: ${probe.reason}`);
    case 'timeout':
      return check('privileged', 'warn', `the probe container did not finish in ${probe.seconds} s`,
        `${LOOK_AT_ENGINE}; then run \`lab doctor\` again.`);
    case 'exited':
      return check('privileged', 'pass', 
        `privileged containers start${needing.length ? ` (nodes ${list(needing)} use them)` : ''}`);
    case 'error':
      return privilegedErrorCheck(probe.message, needing);
  }
}

/** The privileged probe did not start: refused (a failure only if a node needs it), or something else. */
function privilegedErrorCheck(message: string, needing: string[]): DoctorCheck {
  if (!PRIVILEGED_REFUSED_PATTERN.test(message)) {
    return check('privileged', 'warn', `could not test: ${message}`,
      'Check the engine with `docker info`; then run `lab doctor` again.');
  }
  const reason = /unable to apply caps: operation not permitted/i.exec(message)?.[0] ?? firstLine(message);
  if (needing.length === 0) {
    const lowerFix = `${PRIVILEGED_REFUSED_FIX.charAt(0).toLowerCase()}${PRIVILEGED_REFUSED_FIX.slice(1)}`;
    return check('privileged', 'warn', `${privilegedRefused(reason)}; this scenario does not use them`,
      `Nothing to do for this run; for a scenario that asks for --privileged: ${lowerFix}`);
  }
  return check('privileged', 'fail', `${privilegedRefused(reason)}; nodes ${list(needing)} need them`,
    PRIVILEGED_REFUSED_FIX);
}

/** Any IPv4 prefix (0-32), unlike parseCidr, which only accepts what a scenario may use. */
function looseCidr(text: string): Cidr | undefined {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(text);
  if (!m || !isIpv4(m[1]!) || Number(m[2]) > 32) return undefined;
  return { network: m[1]!, prefix: Number(m[2]) };
}

/** Docker's own bridges: their routes are the engine's networks, which the network list already covers. */
const isDockerBridge = (iface: string) => iface === 'docker0' || iface.startsWith('br-');

/** One scenario network against the engine's other networks and this machine's routes. */
function subnetClashes(
  scenario: Scenario,
  net: Scenario['networks'][number],
  networks: ListedNetwork[],
  routes: HostRoute[],
): { own: string; engine: string[]; host: string[] } {
  const subnet = parseCidr(net.subnet)!;
  const own = `${canonicalCidr(subnet)} (${net.name})`;
  const engine = networks
    .filter((n) => !isLabMadeFor(n.labels, scenario.name))
    .flatMap((n) => n.subnets.map((s) => ({ n, s, cidr: looseCidr(s) })))
    .filter((x) => x.cidr && cidrsOverlap(subnet, x.cidr))
    .map(({ n, s }) => `${own} overlaps Docker network ${n.name} (${s}${labOf(n.labels) && `, lab ${labOf(n.labels)}`})`);
  const host = routes
    .filter((r) => !isDockerBridge(r.iface) && cidrsOverlap(subnet, r.destination))
    .map((r) => `${own} overlaps host route ${canonicalCidr(r.destination)} dev ${r.iface}`);
  return { own, engine, host };
}

/**
 * Each scenario network's subnet against every network the engine has (except this lab's own) and, on a
 * local engine, against this machine's routes that are not Docker bridges.
 */
export function subnetCheck(
  scenario: Scenario,
  networks: ListedNetwork[],
  routes: HostRoute[] | undefined,
): DoctorCheck {
  const each = scenario.networks.map((net) => subnetClashes(scenario, net, networks, routes ?? []));
  const clashes = each.flatMap((c) => c.engine);
  const routeClashes = each.flatMap((c) => c.host);
  if (clashes.length > 0) {
    return check('subnet', 'fail', [...clashes, ...routeClashes].join('; '),
      'Remove the other network if it is a leftover (`docker network rm NAME`, or `lab teardown LAB` if it is ' +
        'a lab\'s), or copy the scenario and give networks[].subnet a free range.');
  }
  if (routeClashes.length > 0) {
    return check('subnet', 'warn', `${routeClashes.join('; ')}: this machine would send that range to Docker instead`,
      'Fine for an internal lab; to keep the host\'s route usable, copy the scenario and give networks[].subnet ' +
        'a free range.');
  }
  const routeNote = routes === undefined ? '; host routes not checked (remote engine or no /proc/net/route)' : '';
  return check('subnet', 'pass', `${list(each.map((c) => `${c.own} free`))}${routeNote}`);
}

/** The VIP must not be any container's address (the engine's view) nor, on a local engine, this machine's. */
export function vipCheck(
  scenario: Scenario,
  containers: ListedContainer[],
  hostAddresses: HostAddress[] | undefined,
): DoctorCheck {
  const { vip } = scenario.service;
  const net = vipInterface(scenario).network;
  const holders = containers.flatMap((c) =>
    Object.entries(c.addresses)
      .filter(([, ip]) => ip === vip)
      .map(([n]) => `container ${c.name} on ${n}${labOf(c.labels) && ` (lab ${labOf(c.labels)})`}`),
  );
  if (holders.length > 0) {
    return check('vip', 'fail', `VIP ${vip} is already the address of ${list(holders)}`,
      'Remove that container (`docker rm -f NAME`, or `lab teardown LAB`), or copy the scenario and pick another ' +
        'service.vip.');
  }
  const onHost = (hostAddresses ?? []).filter((a) => a.address === vip);
  if (onHost.length > 0) {
    return check('vip', 'warn', `VIP ${vip} is an address of this machine (${list(onHost.map((a) => a.iface))})`,
      'The lab works, but this machine cannot reach the lab\'s VIP; copy the scenario and pick another service.vip ' +
        'to avoid confusion.');
  }
  const norHost = hostAddresses ? ' nor this machine\'s' : '';
  return check('vip', 'pass', `${vip} on ${net} is no container's address${norHost}`);
}

/** The scenario's container and network names against what the engine has, labelled or not. */
export function namesCheck(scenario: Scenario, containers: ListedContainer[], networks: ListedNetwork[]): DoctorCheck {
  const wanted = {
    containers: scenario.nodes.map((n) => containerName(scenario, n.name)),
    networks: scenario.networks.map((n) => n.name),
  };
  const taken = [
    ...containers.filter((c) => wanted.containers.includes(c.name)).map((c) => ({ kind: 'container', ...c })),
    ...networks.filter((n) => wanted.networks.includes(n.name)).map((n) => ({ kind: 'network', ...n })),
  ];
  const foreign = taken.filter((o) => !isLabMadeFor(o.labels, scenario.name));
  if (foreign.length > 0) {
    const whose = (labels: Record<string, string>) => (isLabMade(labels) ? `lab ${labOf(labels)}` : 'not made by lab');
    const named = foreign.map((o) => `${o.kind} ${o.name} (${whose(o.labels)})`);
    return check('names', 'fail', `Names this lab needs are taken: ${list(named)}`,
      'lab never removes what it did not make. Remove or rename those yourself (`docker rm -f NAME`, ' +
        '`docker network rm NAME`), or tear down the other lab (`lab teardown LAB`).');
  }
  if (taken.length > 0) {
    return check('names', 'warn',
      `Lab ${scenario.name} is already up, or being brought up by another \`lab up\` ` +
        `(${list(taken.map((o) => o.name))})`,
      `If another \`lab up\` is bringing it up, let it finish; then check it with \`lab verify ${scenario.name}\`, ` +
        `or remove it first: \`lab teardown ${scenario.name}\`.`);
  }
  const networkNames = `${plural(wanted.networks.length, 'network')} ${list(wanted.networks)}`;
  return check('names', 'pass', `containers ${list(wanted.containers)} and ${networkNames} are free`);
}

// ---------------------------------------------------------------------------------------------------------
// What the rows mean for `lab up`
// ---------------------------------------------------------------------------------------------------------

/** Does the environment let this scenario come up? Warnings do not stop it. */
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
