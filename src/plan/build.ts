import { usageError } from '../errors.js';
import { LABEL, labLabels } from '../lab/labels.js';
import { addRealServer, addService, CLEAR, LIST, type VirtualService } from '../lvs/ipvsadm.js';
import { canonicalCidr, parseCidr } from '../scenario/ipv4.js';
import {
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
import { containerCommand } from './container-command.js';
import { setupSteps, webServerControl, webStartWhy } from './app.js';
import type { ContainerSpec, Phase, Plan, Step } from './types.js';

/** Where the page goes: the contract every lab image keeps (images/README.md). */
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
  const steps: Step[] = [];
  const labels = labLabels(scenario, source, runId);
  const exec = (phase: Phase, node: string, argv: string[], why: string, extra: { probe?: 'ipvs' } = {}) =>
    steps.push({ kind: 'exec', phase, node, argv, command: displayCommand(argv), why, ...extra });

  for (const net of scenario.networks) {
    const subnet = canonicalCidr(parseCidr(net.subnet)!);
    steps.push({
      kind: 'network',
      phase: 'network',
      command: shellJoin(['docker', 'network', 'create', `--subnet=${subnet}`, ...(net.internal ? ['--internal'] : []), net.name]),
      why:
        networkWhy(scenario, net.name) +
        (subnet === net.subnet ? '' : `The file writes ${net.subnet}; Docker stores it as ${subnet}. `) +
        (net.internal ? 'Internal: no route out, the lab talks only to itself.' : 'Not internal: containers can reach out (egress allowed).'),
      network: { name: net.name, subnet, internal: net.internal, labels },
    });
  }

  const sysctlsAtCreate = new Map<string, Record<string, string>>();
  for (const rs of realServers(scenario)) {
    if (!canWriteSysctls(scenario, rs)) sysctlsAtCreate.set(rs.name, realServerSysctls(scenario, rs));
  }
  const dir = director(scenario);
  if (!canWriteSysctls(scenario, dir)) sysctlsAtCreate.set(dir.name, directorSysctls(scenario));

  for (const node of scenario.nodes) {
    const init = initOf(scenario, node);
    const privilege = privilegeOf(scenario, node);
    if (init === 'systemd' && privilege === 'minimal') {
      throw usageError(
        `Node ${node.name}: systemd as /usr/sbin/init needs the privileged or capabilities profile, not minimal.`,
        'Use --init none with --privilege minimal, or --privilege capabilities where --privileged is refused.',
      );
    }
    const container: ContainerSpec = {
      name: node.name,
      hostname: node.name,
      image: imageOf(scenario, node),
      init,
      privilege,
      interfaces: nodeInterfaces(scenario, node).map(({ network, address }) => ({ network, address })),
      sysctls: sysctlsAtCreate.get(node.name) ?? {},
      labels: { ...labels, [LABEL.node]: node.name, [LABEL.role]: node.role },
    };
    steps.push({ kind: 'container', phase: 'containers', node: node.name, command: dockerRunCommand(container), why: containerWhy(container), container });
  }

  for (const node of scenario.nodes) {
    if (initOf(scenario, node) !== 'systemd') continue;
    steps.push({
      kind: 'wait-init',
      phase: 'init',
      node: node.name,
      command: 'systemctl is-system-running --wait',
      why: 'systemctl (used to start httpd) works only once /usr/sbin/init has booted systemd.',
    });
  }

  exec(
    'ipvsCheck',
    dir.name,
    LIST,
    'IPVS is in the host kernel and a container cannot load it; the tutorial checks it first (lsmod | grep ip_vs; ipvsadm).',
    { probe: 'ipvs' },
  );
  steps.push(...setupSteps(scenario, 'services'), ...setupSteps(scenario, 'web'));

  const service = virtualService(scenario);
  const vip = scenario.service.vip;
  for (const rs of realServers(scenario)) {
    const method = forwardingOf(scenario, rs);
    routeSteps(rs).forEach((argv) => exec('realServers', rs.name, argv, method === 'nat' ? 'Replies must go back through the director: it is this server\'s gateway (NAT, seed 001).' : ROUTE_WHY));
    const sysctls = realServerSysctls(scenario, rs);
    if (Object.keys(sysctls).length > 0) {
      const why =
        method === 'tun'
          ? 'Hide the VIP from ARP (arp_ignore=1, arp_announce=2) and turn off reverse-path filtering: the decapsulated packet arrives on tunl0 from an address routed via eth0 (seeds 001/003).'
          : 'arp_ignore=1: answer ARP only for addresses of the interface asked; arp_announce=2: never use the VIP as ARP source. ' +
            'Set BEFORE the VIP, or the VIP is announced at once and is no longer "hidden outside, visible inside" (seed 000); ' +
            'otherwise a real server answers ARP for the VIP and the director is bypassed (seed 004).';
      if (canWriteSysctls(scenario, rs)) exec('realServers', rs.name, sysctlWrite(sysctls), why);
      else exec('realServers', rs.name, ['sysctl', ...Object.keys(sysctls)], `Set at create time (--sysctl): without privileges /proc/sys is read-only. ${why}`);
    } else if (method === 'dr') {
      exec('realServers', rs.name, ['sysctl', 'net.ipv4.conf.all.arp_ignore', 'net.ipv4.conf.all.arp_announce'], 'This scenario leaves ARP suppression out on purpose: this server will answer ARP for the VIP (the ARP problem of seed 004).');
    }
    if (method === 'dr') {
      exec('realServers', rs.name, ['ip', 'addr', 'add', `${vip}/32`, 'dev', 'lo', 'label', 'lo:1'],
        'The server must accept packets for the VIP without owning it on the wire: VIP on lo. Mask /32 (255.255.255.255): a wider mask would route the whole subnet via lo and the server would talk to itself (seed 000).');
      if (rs.vipHostRoute) exec('realServers', rs.name, ['route', 'add', '-host', vip, 'dev', 'lo'], HOST_ROUTE_WHY);
    } else if (method === 'tun') {
      exec('realServers', rs.name, ['ip', 'link', 'set', 'tunl0', 'up'], 'The director sends each request inside an IPIP packet; tunl0 unwraps it (needs the ipip module on the host).');
      exec('realServers', rs.name, ['ip', 'addr', 'add', `${vip}/32`, 'dev', 'tunl0'], 'The inner packet is addressed to the VIP: the server owns it on tunl0, /32, never announced.');
    }
    exec('realServers', rs.name, ['sh', '-c', writeFileScript(rs.page, `${WEB_ROOT}/index.html`)],
      'A different page on each real server makes the balancing visible (in production they serve the same content).');
    if (serverPort(scenario, rs) !== 80) {
      exec('realServers', rs.name, listenOn(serverPort(scenario, rs)), 'NAT maps the VIP\'s port to another port on this server (seed 001): the web server listens there.');
    }
    const init = initOf(scenario, rs);
    exec('realServers', rs.name, webServerControl(rs, 'start', init), webStartWhy(rs, init));
  }

  const vipIf = vipInterface(scenario);
  routeSteps(dir).forEach((argv) => exec('director', dir.name, argv, ROUTE_WHY));
  const vipLabel = dir.vipLabel ?? `${vipIf.device}:1`;
  const vipPrefix = dir.vipPrefix ?? vipIf.prefix;
  exec('director', dir.name, ['ip', 'addr', 'add', `${vip}/${vipPrefix}`, 'dev', vipIf.device, 'label', vipLabel],
    `The VIP the clients call, as an alias of ${vipIf.device} (the tutorial: ifconfig ${vipLabel} ${vip}/${vipPrefix}).`);
  if (dir.vipHostRoute) exec('director', dir.name, ['route', 'add', '-host', vip, 'dev', vipLabel], HOST_ROUTE_WHY);
  const dirSysctls = directorSysctls(scenario);
  const dirWhy = 'By default the OS drops a packet not addressed to itself: turn on forwarding (echo 1 > /proc/sys/net/ipv4/ip_forward)' +
    (usesNat(scenario) ? '; send_redirects=0 so the director does not tell real servers to bypass it (NAT, seed 001).' : '.');
  if (canWriteSysctls(scenario, dir)) exec('director', dir.name, sysctlWrite(dirSysctls), dirWhy);
  else exec('director', dir.name, ['sysctl', ...Object.keys(dirSysctls)], `Set at create time (--sysctl): without privileges /proc/sys is read-only. ${dirWhy}`);
  if (scenario.service.manager === 'keepalived') {
    const conf = keepalivedConf(scenario);
    exec('director', dir.name, ['sh', '-c', `cat > /etc/keepalived/keepalived.conf <<'EOF'\n${conf}EOF`],
      'keepalived owns the IPVS table: the virtual service and real servers as ipvsadm would add them, each with an HTTP health check.');
    exec('director', dir.name, initOf(scenario, dir) === 'systemd' ? ['systemctl', 'start', 'keepalived'] : ['keepalived'],
      'Start keepalived; it fills the table and keeps it in step with the health checks.');
    const count = realServers(scenario).length;
    exec('director', dir.name, ['sh', '-c', `for i in $(seq 60); do [ "$(ipvsadm -Ln | grep -c -- '-> [0-9]')" -ge ${count} ] && exec ipvsadm -Ln; sleep 0.5; done; ipvsadm -Ln; exit 1`],
      `Wait until keepalived has put all ${count} real servers in the table.`);
  } else {
    if (scenario.service.clearFirst) exec('director', dir.name, CLEAR, 'lvs_dr.sh starts with `ipvsadm -C`: an empty table, so running the script again gives the same table (seed 004).');
    exec('director', dir.name, addService(service), `Define the virtual service ${vip}:${service.port} with scheduler ${service.scheduler}` +
      (service.persistence ? `, persistent for ${service.persistence} s (one client sticks to one server)` : '') + '.');
    for (const rs of realServers(scenario)) {
      const method = forwardingOf(scenario, rs);
      const address = realServerInterface(scenario, rs).address;
      exec('director', dir.name, addRealServer(service, { address, port: serverPort(scenario, rs), forwarding: method, weight: rs.weight }), realServerWhy(rs, method));
    }
  }

  for (const client of scenario.nodes.filter((n) => n.role === 'client')) {
    routeSteps(client).forEach((argv) => exec('clients', client.name, argv, ROUTE_WHY));
  }
  steps.push(...setupSteps(scenario, 'app'));

  return { lab: scenario.name, ...(runId ? { runId } : {}), scenario, steps };
}

function realServerSysctls(scenario: Scenario, rs: RealServerNode): Record<string, string> {
  const method = forwardingOf(scenario, rs);
  if (method === 'nat' || !rs.arpSuppression) return {};
  if (method === 'tun') return { ...ARP_SYSCTLS, 'net.ipv4.conf.all.rp_filter': '0', 'net.ipv4.conf.tunl0.rp_filter': '0' };
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
    for (const iface of nodeInterfaces(scenario, director(scenario))) sysctls[`net.ipv4.conf.${iface.device}.send_redirects`] = '0';
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
  if (methods.has('tun')) return 'TUN: the director reaches the real servers by IP (IPIP); one network keeps the lab small (seeds 001/003). ';
  return 'DR needs the director and the real servers on one L2 segment (seed 000). ';
}

const sysctlWrite = (values: Record<string, string>) => ['sysctl', '-w', ...Object.entries(values).map(([k, v]) => `${k}=${v}`)];

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

const ROUTE_WHY = 'A static route the scenario asks for.';
const HOST_ROUTE_WHY = 'The seed\'s scripts add a host route to the VIP through the device that holds it (`route add -host $vip dev ...`): replies to the VIP leave from there.';

function routeSteps(node: ScenarioNode): string[][] {
  return node.routes.map((r) => ['ip', 'route', 'replace', r.to, 'via', r.via]);
}

/** Debian's apache reads ports.conf, CentOS's httpd.conf; whichever the image has. */
function listenOn(port: number): string[] {
  const files = '/etc/apache2/ports.conf /etc/apache2/sites-enabled/000-default.conf /etc/httpd/conf/httpd.conf';
  return ['sh', '-c', `for f in ${files}; do [ -f $f ] && sed -i -e 's/^Listen 80$/Listen ${port}/' -e 's/<VirtualHost \\*:80>/<VirtualHost *:${port}>/' $f; done; true`];
}

function realServerWhy(rs: RealServerNode, method: 'dr' | 'nat' | 'tun'): string {
  const how = {
    dr: '-g (gatewaying) = direct routing: the director rewrites only the destination MAC; the reply goes from the server straight to the client',
    nat: '-m (masquerading) = NAT: the director rewrites the destination address (and port) and carries the reply back',
    tun: '-i (ipip) = tunneling: the director wraps the request in an IPIP packet; the reply goes straight to the client',
  }[method];
  return `Add ${rs.name} as a real server${rs.weight !== 1 ? ` with weight ${rs.weight}` : ''}; ${how}.`;
}

function dockerRunCommand(c: ContainerSpec): string {
  const profile = {
    privileged: ['--privileged=true'],
    capabilities: [
      '--cap-add=ALL', '--cap-drop=SYS_RESOURCE', '--security-opt=seccomp=unconfined', '--security-opt=apparmor=unconfined',
      '--security-opt=systempaths=unconfined', '--cgroupns=private',
    ],
    minimal: ['--cap-add=NET_ADMIN'],
  }[c.privilege];
  const [first, ...more] = c.interfaces;
  const argv = [
    'docker', 'run', '-d', ...profile, `--name=${c.name}`, `--hostname=${c.hostname}`, '--net', first!.network, '--ip', first!.address,
    ...Object.entries(c.sysctls).map(([k, v]) => `--sysctl=${k}=${v}`),
    ...(c.init === 'systemd' ? ['--stop-signal=SIGRTMIN+3'] : ['--init']),
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
