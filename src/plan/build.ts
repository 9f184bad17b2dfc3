import { usageError } from '../errors.js';
import { LABEL, labLabels } from '../labels.js';
import { addRealServer, addService, CLEAR, LIST, type VirtualService } from '../lvs/ipvsadm.js';
import { webControl } from '../lvs/web-server.js';
import { containerName } from '../scenario/instance.js';
import { canonicalCidr, parseCidr } from '../scenario/ipv4.js';
import {
  clients,
  director,
  forwardingOf,
  imageOf,
  initOf,
  nodeInterfaces,
  privilegeOf,
  realServerInterface,
  realServers,
  serverPort,
  vipInterface,
} from '../scenario/model.js';
import type { RealServerNode, Scenario, ScenarioNode } from '../scenario/schema.js';
import { displayCommand, shellJoin, writeFileScript } from './shell.js';
import { containerCommand, SYSTEMD_STOP_SIGNAL } from '../runtime/container-command.js';
import { profileFlags } from '../runtime/privilege.js';
import type { ContainerSpec } from '../runtime/types.js';
import { setupSteps } from './app.js';
import type { Phase, Plan, Step } from './types.js';

/** Where the page goes: the contract every lab image keeps (images/README.md; how the web server starts: lvs/web-server.ts). */
export const WEB_ROOT = '/var/www/html';

const ARP_SYSCTLS = {
  'net.ipv4.conf.all.arp_ignore': '1',
  'net.ipv4.conf.lo.arp_ignore': '1',
  'net.ipv4.conf.all.arp_announce': '2',
  'net.ipv4.conf.lo.arp_announce': '2',
};

/** Does this profile let a process inside the container write /proc/sys? */
const canWriteSysctls = (scenario: Scenario, node: ScenarioNode) => privilegeOf(scenario, node) !== 'minimal';

export function virtualService(scenario: Scenario): VirtualService {
  const { vip, port, protocol, scheduler, persistence } = scenario.service;
  return { vip, port, protocol, scheduler, persistence };
}

/** Scenario in, the tutorial's commands out, in the tutorial's order. Pure: no Docker, no I/O. */
export function buildPlan(scenario: Scenario, source: string, runId?: string): Plan {
  const labels = labLabels(scenario, source, runId);
  const steps: Step[] = [
    ...scenario.networks.map((net) => networkStep(scenario, net, labels)),
    ...scenario.nodes.map((node) => containerStep(scenario, node, labels)),
    ...scenario.nodes.filter((node) => initOf(scenario, node) === 'systemd').map(waitForInitStep),
    ipvsCheckStep(scenario),
    ...setupSteps(scenario, 'services'),
    ...setupSteps(scenario, 'web'),
    ...realServers(scenario).flatMap((rs) => realServerSteps(scenario, rs)),
    ...directorSteps(scenario),
    ...clients(scenario).flatMap((client) => routeSteps('clients', client)),
    ...setupSteps(scenario, 'app'),
  ];
  return { lab: scenario.name, ...(runId ? { runId } : {}), scenario, steps };
}

type ExecStep = Extract<Step, { kind: 'exec' }>;
type ScenarioNetwork = Scenario['networks'][number];

/** A command run on a node, shown as a student would type it. */
function execStep(phase: Phase, node: string, argv: string[], why: string): ExecStep {
  return { kind: 'exec', phase, node, argv, command: displayCommand(argv), why };
}

// ---------------------------------------------------------------------------------------------------------
// Network, containers, init: what Docker makes
// ---------------------------------------------------------------------------------------------------------

function networkStep(scenario: Scenario, net: ScenarioNetwork, labels: Record<string, string>): Step {
  const subnet = canonicalCidr(parseCidr(net.subnet)!);
  const argv = ['docker', 'network', 'create', `--subnet=${subnet}`, ...(net.internal ? ['--internal'] : []), net.name];
  const stored = subnet === net.subnet ? '' : `The file writes ${net.subnet}; Docker stores it as ${subnet}. `;
  const reach = net.internal
    ? 'Internal: no route out, the lab talks only to itself.'
    : 'Not internal: containers can reach out (egress allowed).';
  return {
    kind: 'network',
    phase: 'network',
    command: shellJoin(argv),
    why: networkWhy(scenario, net.name) + stored + reach,
    network: { name: net.name, subnet, internal: net.internal, labels },
  };
}

function containerStep(scenario: Scenario, node: ScenarioNode, labels: Record<string, string>): Step {
  const init = initOf(scenario, node);
  const privilege = privilegeOf(scenario, node);
  if (init === 'systemd' && privilege === 'minimal') {
    throw usageError(
      `Node ${node.name}: systemd as /usr/sbin/init needs the privileged or capabilities profile, not minimal.`,
      'Use --init none with --privilege minimal, or --privilege capabilities where --privileged is refused.',
    );
  }
  const container: ContainerSpec = {
    name: containerName(scenario, node.name),
    hostname: node.name,
    image: imageOf(scenario, node),
    init,
    privilege,
    interfaces: nodeInterfaces(scenario, node).map(({ network, address }) => ({ network, address })),
    sysctls: canWriteSysctls(scenario, node) ? {} : sysctlsOf(scenario, node),
    labels: { ...labels, [LABEL.node]: node.name, [LABEL.role]: node.role },
  };
  const command = dockerRunCommand(container);
  return { kind: 'container', phase: 'containers', node: node.name, command, why: containerWhy(container), container };
}

/** The kernel settings a node's role needs: fixed at create time when the node cannot write /proc/sys. */
function sysctlsOf(scenario: Scenario, node: ScenarioNode): Record<string, string> {
  if (node.role === 'real-server') return realServerSysctls(scenario, node);
  if (node.role === 'director') return directorSysctls(scenario);
  return {};
}

function waitForInitStep(node: ScenarioNode): Step {
  return {
    kind: 'wait-init',
    phase: 'init',
    node: node.name,
    command: 'systemctl is-system-running --wait',
    why: 'systemctl (used to start httpd) works only once /usr/sbin/init has booted systemd.',
  };
}

function ipvsCheckStep(scenario: Scenario): Step {
  const why = 'IPVS is in the host kernel and a container cannot load it; ' +
    'the tutorial checks it first (lsmod | grep ip_vs; ipvsadm).';
  return { ...execStep('ipvsCheck', director(scenario).name, LIST, why), kernelCheck: 'ipvs' };
}

// ---------------------------------------------------------------------------------------------------------
// The real servers
// ---------------------------------------------------------------------------------------------------------

/** One real server, in the tutorial's order: routes, ARP, the VIP, its page, its web server. */
function realServerSteps(scenario: Scenario, rs: RealServerNode): ExecStep[] {
  const method = forwardingOf(scenario, rs);
  const routeWhy = method === 'nat'
    ? 'Replies must go back through the director: it is this server\'s gateway (NAT, seed 001).'
    : ROUTE_WHY;
  return [
    ...routeSteps('realServers', rs, routeWhy),
    ...arpSteps(scenario, rs),
    ...vipSteps(scenario, rs),
    ...webSteps(scenario, rs),
  ];
}

/** ARP suppression, set BEFORE the VIP goes on (seed 000); shown as read back where fixed at create time. */
function arpSteps(scenario: Scenario, rs: RealServerNode): ExecStep[] {
  const method = forwardingOf(scenario, rs);
  const sysctls = realServerSysctls(scenario, rs);
  if (Object.keys(sysctls).length === 0) {
    if (method !== 'dr') return [];
    const argv = ['sysctl', 'net.ipv4.conf.all.arp_ignore', 'net.ipv4.conf.all.arp_announce'];
    return [execStep('realServers', rs.name, argv, ARP_LEFT_OUT_WHY)];
  }
  return [sysctlStep(scenario, 'realServers', rs, sysctls, method === 'tun' ? TUN_SYSCTLS_WHY : ARP_WHY)];
}

/** The VIP without owning it on the wire: on lo for DR, on tunl0 for TUN; NAT needs none. */
function vipSteps(scenario: Scenario, rs: RealServerNode): ExecStep[] {
  const vip = scenario.service.vip;
  const method = forwardingOf(scenario, rs);
  if (method === 'dr') {
    const onLo = execStep('realServers', rs.name, ['ip', 'addr', 'add', `${vip}/32`, 'dev', 'lo', 'label', 'lo:1'], DR_VIP_WHY);
    const hostRoute = execStep('realServers', rs.name, ['route', 'add', '-host', vip, 'dev', 'lo'], HOST_ROUTE_WHY);
    return rs.vipHostRoute ? [onLo, hostRoute] : [onLo];
  }
  if (method === 'nat') return [];
  return [
    execStep('realServers', rs.name, ['ip', 'link', 'set', 'tunl0', 'up'], TUNL0_WHY),
    execStep('realServers', rs.name, ['ip', 'addr', 'add', `${vip}/32`, 'dev', 'tunl0'], TUN_VIP_WHY),
  ];
}

/** A page of its own (the balancing shows), the port NAT maps to, then the web server started. */
function webSteps(scenario: Scenario, rs: RealServerNode): ExecStep[] {
  const page = ['sh', '-c', writeFileScript(rs.page, `${WEB_ROOT}/index.html`)];
  const port = serverPort(scenario, rs);
  const init = initOf(scenario, rs);
  const startWhy = init !== 'systemd'
    ? 'No systemd on this node: start the web server directly.'
    : rs.webServer === 'nginx'
      ? 'Start nginx, as seeds 003 and 004 do (`service nginx start`); this needs /usr/sbin/init as PID 1.'
      : 'Start httpd as the tutorial does; this needs /usr/sbin/init as PID 1.';
  return [
    execStep('realServers', rs.name, page, PAGE_WHY),
    ...(port !== 80 ? [execStep('realServers', rs.name, listenOn(port), LISTEN_WHY)] : []),
    execStep('realServers', rs.name, webControl(rs.webServer, init, 'start'), startWhy),
  ];
}

// ---------------------------------------------------------------------------------------------------------
// The director
// ---------------------------------------------------------------------------------------------------------

/** Routes, the VIP, forwarding, then the IPVS table: by ipvsadm, or by keepalived. */
function directorSteps(scenario: Scenario): ExecStep[] {
  const dir = director(scenario);
  const table = scenario.service.manager === 'keepalived' ? keepalivedSteps(scenario) : ipvsadmSteps(scenario);
  const vip = directorVipSteps(scenario);
  return [...routeSteps('director', dir), ...vip, forwardingStep(scenario), ...table, ...portReuseSteps(scenario)];
}

/** The VIP as an alias of the director's interface; seed 004's shape is a /32 with a host route through it. */
function directorVipSteps(scenario: Scenario): ExecStep[] {
  const dir = director(scenario);
  const vip = scenario.service.vip;
  const { device, prefix: netPrefix } = vipInterface(scenario);
  const label = dir.vipLabel ?? `${device}:1`;
  const prefix = dir.vipPrefix ?? netPrefix;
  const why = `The VIP the clients call, as an alias of ${device} (the tutorial: ifconfig ${label} ${vip}/${prefix}).`;
  const alias = execStep('director', dir.name, ['ip', 'addr', 'add', `${vip}/${prefix}`, 'dev', device, 'label', label], why);
  const hostRoute = execStep('director', dir.name, ['route', 'add', '-host', vip, 'dev', label], HOST_ROUTE_WHY);
  return dir.vipHostRoute ? [alias, hostRoute] : [alias];
}

function forwardingStep(scenario: Scenario): ExecStep {
  const nat = '; send_redirects=0 so the director does not tell real servers to bypass it (NAT, seed 001).';
  const why = 'By default the OS drops a packet not addressed to itself: ' +
    `turn on forwarding (echo 1 > /proc/sys/net/ipv4/ip_forward)${usesNat(scenario) ? nat : '.'}`;
  return sysctlStep(scenario, 'director', director(scenario), directorSysctls(scenario), why);
}

/**
 * After the table (the ip_vs module has made /proc/sys/net/ipv4/vs): DR and TUN reschedule a reused client port.
 * Not at create time for a director that cannot write /proc/sys: where the kernel has no IPVS the file is missing and
 * the container would not start, before the IPVS check could say why.
 */
function portReuseSteps(scenario: Scenario): ExecStep[] {
  const dir = director(scenario);
  // NAT: the director sees both halves, its entries end in TIME_WAIT, which the default (mode 1) reschedules.
  const oneWay = realServers(scenario).some((rs) => forwardingOf(scenario, rs) !== 'nat');
  if (!oneWay || !canWriteSysctls(scenario, dir)) return [];
  return [execStep('director', dir.name, sysctlWrite({ 'net.ipv4.vs.conn_reuse_mode': '3' }), PORT_REUSE_WHY)];
}

function ipvsadmSteps(scenario: Scenario): ExecStep[] {
  const dir = director(scenario).name;
  const service = virtualService(scenario);
  const sticky = service.persistence
    ? `, persistent for ${service.persistence} s (one client sticks to one server)`
    : '';
  const serviceWhy =
    `Define the virtual service ${service.vip}:${service.port} with scheduler ${service.scheduler}${sticky}.`;
  return [
    ...(scenario.service.clearFirst ? [execStep('director', dir, CLEAR, CLEAR_WHY)] : []),
    execStep('director', dir, addService(service), serviceWhy),
    ...realServers(scenario).map((rs) => {
      const forwarding = forwardingOf(scenario, rs);
      const { address } = realServerInterface(scenario, rs);
      const real = { address, port: serverPort(scenario, rs), forwarding, weight: rs.weight };
      return execStep('director', dir, addRealServer(service, real), realServerWhy(rs, forwarding));
    }),
  ];
}

function keepalivedSteps(scenario: Scenario): ExecStep[] {
  const dir = director(scenario);
  const count = realServers(scenario).length;
  const writeConf = ['sh', '-c', `cat > /etc/keepalived/keepalived.conf <<'EOF'\n${keepalivedConf(scenario)}EOF`];
  const start = initOf(scenario, dir) === 'systemd' ? ['systemctl', 'start', 'keepalived'] : ['keepalived'];
  const listed = `[ "$(ipvsadm -Ln | grep -c -- '-> [0-9]')" -ge ${count} ]`;
  const waitAll = `for i in $(seq 60); do ${listed} && exec ipvsadm -Ln; sleep 0.5; done; ipvsadm -Ln; exit 1`;
  const startWhy = 'Start keepalived; it fills the table and keeps it in step with the health checks.';
  const waitWhy = `Wait until keepalived has put all ${count} real servers in the table.`;
  return [
    execStep('director', dir.name, writeConf, KEEPALIVED_CONF_WHY),
    execStep('director', dir.name, start, startWhy),
    execStep('director', dir.name, ['sh', '-c', waitAll], waitWhy),
  ];
}

// ---------------------------------------------------------------------------------------------------------
// Shared by the phases
// ---------------------------------------------------------------------------------------------------------

/** Writes a node's kernel settings, or, where /proc/sys is read-only, reads back those set at create time. */
function sysctlStep(
  scenario: Scenario,
  phase: Phase,
  node: ScenarioNode,
  values: Record<string, string>,
  why: string,
): ExecStep {
  if (canWriteSysctls(scenario, node)) return execStep(phase, node.name, sysctlWrite(values), why);
  const readBack = ['sysctl', ...Object.keys(values)];
  return execStep(phase, node.name, readBack, `${SET_AT_CREATE} ${why}`);
}

const SET_AT_CREATE = 'Set at create time (--sysctl): without privileges /proc/sys is read-only.';

const ROUTE_WHY = 'A static route the scenario asks for.';

function routeSteps(phase: Phase, node: ScenarioNode, why = ROUTE_WHY): ExecStep[] {
  return node.routes.map((r) => execStep(phase, node.name, ['ip', 'route', 'replace', r.to, 'via', r.via], why));
}

const ARP_WHY =
  'arp_ignore=1: answer ARP only for addresses of the interface asked; arp_announce=2: never use the VIP as ARP source. ' +
  'Set BEFORE the VIP, or the VIP is announced at once and is no longer "hidden outside, visible inside" (seed 000); ' +
  'otherwise a real server answers ARP for the VIP and the director is bypassed (seed 004).';
const TUN_SYSCTLS_WHY =
  'Hide the VIP from ARP (arp_ignore=1, arp_announce=2) and turn off reverse-path filtering: the decapsulated packet ' +
  'arrives on tunl0 from an address routed via eth0 (seeds 001/003).';
const ARP_LEFT_OUT_WHY = 'This scenario leaves ARP suppression out on purpose: ' +
  'this server will answer ARP for the VIP (the ARP problem of seed 004).';
const DR_VIP_WHY =
  'The server must accept packets for the VIP without owning it on the wire: VIP on lo. Mask /32 (255.255.255.255): ' +
  'a wider mask would route the whole subnet via lo and the server would talk to itself (seed 000).';
const TUNL0_WHY =
  'The director sends each request inside an IPIP packet; tunl0 unwraps it (needs the ipip module on the host).';
const TUN_VIP_WHY = 'The inner packet is addressed to the VIP: the server owns it on tunl0, /32, never announced.';
const PAGE_WHY =
  'A different page on each real server makes the balancing visible (in production they serve the same content).';
const LISTEN_WHY = 'NAT maps the VIP\'s port to another port on this server (seed 001): the web server listens there.';
const HOST_ROUTE_WHY = 'The seed\'s scripts add a host route to the VIP through the device that holds it ' +
  '(`route add -host $vip dev ...`): replies to the VIP leave from there.';
const CLEAR_WHY = 'lvs_dr.sh starts with `ipvsadm -C`: an empty table, ' +
  'so running the script again gives the same table (seed 004).';
const PORT_REUSE_WHY = 'The director sees only the client\'s half of a DR or TUN connection, so its entry ends in ' +
  'FIN_WAIT and stays 2 minutes; a new connection from that client port (the client\'s kernel reuses ports) would go ' +
  'to the old real server, unscheduled. conn_reuse_mode=3 reschedules it (mode 1, the default, only after TIME_WAIT).';
const KEEPALIVED_CONF_WHY =
  'keepalived owns the IPVS table: the virtual service and real servers as ipvsadm would add them, ' +
  'each with an HTTP health check.';

function realServerSysctls(scenario: Scenario, rs: RealServerNode): Record<string, string> {
  const method = forwardingOf(scenario, rs);
  if (method === 'nat' || !rs.arpSuppression) return {};
  if (method === 'tun') {
    return { ...ARP_SYSCTLS, 'net.ipv4.conf.all.rp_filter': '0', 'net.ipv4.conf.tunl0.rp_filter': '0' };
  }
  return { ...ARP_SYSCTLS };
}

function usesNat(scenario: Scenario): boolean {
  return realServers(scenario).some((rs) => forwardingOf(scenario, rs) === 'nat');
}

function directorSysctls(scenario: Scenario): Record<string, string> {
  const sysctls: Record<string, string> = { 'net.ipv4.ip_forward': '1' };
  if (usesNat(scenario)) {
    sysctls['net.ipv4.conf.all.send_redirects'] = '0';
    sysctls['net.ipv4.conf.default.send_redirects'] = '0';
    for (const iface of nodeInterfaces(scenario, director(scenario))) {
      sysctls[`net.ipv4.conf.${iface.device}.send_redirects`] = '0';
    }
  }
  return sysctls;
}

function networkWhy(scenario: Scenario, network: string): string {
  const methods = new Set(realServers(scenario).map((rs) => forwardingOf(scenario, rs)));
  if (methods.has('nat')) {
    return network === vipInterface(scenario).network
      ? 'NAT: the clients\' side, where the director holds the VIP (seed 001). '
      : 'NAT: the real servers\' side; the director\'s DIP on it is their gateway (seed 001). ';
  }
  if (methods.has('tun')) {
    return 'TUN: the director reaches the real servers by IP (IPIP); one network keeps the lab small (seeds 001/003). ';
  }
  return 'DR needs the director and the real servers on one L2 segment (seed 000). ';
}

const sysctlWrite = (values: Record<string, string>) =>
  ['sysctl', '-w', ...Object.entries(values).map(([k, v]) => `${k}=${v}`)];

/** keepalived.conf for the scenario's virtual service: the same table, plus an HTTP_GET check per real server. */
export function keepalivedConf(scenario: Scenario): string {
  const { vip, port, scheduler, persistence, protocol, checkInterval } = scenario.service;
  const kind = { dr: 'DR', nat: 'NAT', tun: 'TUN' }[scenario.forwarding];
  const servers = realServers(scenario).map((rs) => {
    const address = realServerInterface(scenario, rs).address;
    return [
      `    real_server ${address} ${serverPort(scenario, rs)} {`,
      `        weight ${rs.weight}`,
      '        HTTP_GET {',
      '            url {',
      '                path /',
      '                status_code 200',
      '            }',
      '            connect_timeout 1',
      '            retry 1',
      '            delay_before_retry 1',
      '        }',
      '    }',
    ].join('\n');
  });
  return [
    'global_defs {',
    '    router_id lvs_lab',
    '}',
    `virtual_server ${vip} ${port} {`,
    `    delay_loop ${checkInterval}`,
    `    lb_algo ${scheduler}`,
    `    lb_kind ${kind}`,
    `    protocol ${protocol.toUpperCase()}`,
    ...(persistence ? [`    persistence_timeout ${persistence}`] : []),
    ...servers,
    '}',
    '',
  ].join('\n');
}

/** Debian's apache reads ports.conf, CentOS's httpd.conf; whichever the image has. */
function listenOn(port: number): string[] {
  const files = '/etc/apache2/ports.conf /etc/apache2/sites-enabled/000-default.conf /etc/httpd/conf/httpd.conf';
  const edit = `sed -i -e 's/^Listen 80$/Listen ${port}/' -e 's/<VirtualHost \\*:80>/<VirtualHost *:${port}>/'`;
  return ['sh', '-c', `for f in ${files}; do [ -f $f ] && ${edit} $f; done; true`];
}

function realServerWhy(rs: RealServerNode, method: 'dr' | 'nat' | 'tun'): string {
  const how = {
    dr: '-g (gatewaying) = direct routing: the director rewrites only the destination MAC; ' +
      'the reply goes from the server straight to the client',
    nat: '-m (masquerading) = NAT: the director rewrites the destination address (and port) and carries the reply back',
    tun: '-i (ipip) = tunneling: the director wraps the request in an IPIP packet; the reply goes straight to the client',
  }[method];
  return `Add ${rs.name} as a real server${rs.weight !== 1 ? ` with weight ${rs.weight}` : ''}; ${how}.`;
}

/** systemd's halt as the stop signal: lab's addition to the seed's `docker run` (the tutorial's waits 10 s for SIGTERM). */
export const SYSTEMD_STOP_FLAG = `--stop-signal=${SYSTEMD_STOP_SIGNAL}`;

function dockerRunCommand(c: ContainerSpec): string {
  const [first, ...more] = c.interfaces;
  const argv = [
    'docker', 'run', '-d', ...profileFlags(c.privilege), `--name=${c.name}`, `--hostname=${c.hostname}`,
    '--net', first!.network, '--ip', first!.address,
    ...Object.entries(c.sysctls).map(([k, v]) => `--sysctl=${k}=${v}`),
    ...(c.init === 'systemd' ? [SYSTEMD_STOP_FLAG] : ['--init']),
    c.image,
    ...containerCommand(c),
  ];
  const connects = more.map((i) => ` && docker network connect --ip ${i.address} ${i.network} ${c.name}`);
  return shellJoin(argv) + connects.join('');
}

function containerWhy(c: ContainerSpec): string {
  const init = c.init === 'systemd'
    ? '/usr/sbin/init as PID 1 so systemctl can start services; SIGRTMIN+3 stops systemd at once (SIGTERM would wait 10 s)'
    : 'a tiny init and sleep: this node needs no systemd';
  const privilege = {
    privileged: '--privileged=true: root in the container may change kernel settings (seed 000)',
    capabilities: 'every capability but SYS_RESOURCE: what works where --privileged is refused',
    minimal: 'only NET_ADMIN, with kernel settings fixed at create time (least privilege)',
  }[c.privilege];
  return `${init}; ${privilege}.`;
}
