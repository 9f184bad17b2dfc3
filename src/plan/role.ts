import { usageError } from '../errors.js';
import { addRealServer, deleteRealServer } from '../lvs/ipvsadm.js';
import { webControl } from '../lvs/web-server.js';
import { director, forwardingOf, initOf, privilegeOf, realServerInterface, serverPort } from '../scenario/model.js';
import type { RealServerNode, Scenario } from '../scenario/schema.js';
import { virtualService } from './build.js';
import { displayCommand } from './shell.js';
import type { Plan, Step } from './types.js';

/**
 * Seed 003's `lvs-rs.sh stop|start` for one real server, plus the director's side of it:
 * stop takes the server out of the table first, then drops its VIP and ARP settings;
 * start puts the ARP settings and the VIP back before the director sends it traffic again.
 */
export function realServerRolePlan(scenario: Scenario, node: string, action: 'start' | 'stop'): Plan {
  const rs = realServerNamed(scenario, node);
  const method = forwardingOf(scenario, rs);
  const dir = director(scenario).name;
  const { vip } = scenario.service;
  const address = realServerInterface(scenario, rs).address;
  const real = { address, port: serverPort(scenario, rs), forwarding: method, weight: rs.weight };
  const device = method === 'tun' ? 'tunl0' : 'lo';
  const steps: Step[] = [];
  const exec = (phase: Step['phase'], on: string, argv: string[], why: string) =>
    steps.push({ kind: 'exec', phase, node: on, argv, command: displayCommand(argv), why });
  const onServer = (argv: string[], why: string) => exec('realServers', rs.name, argv, why);
  const vipArgv = (verb: 'add' | 'del') => ['ip', 'addr', verb, `${vip}/32`, 'dev', device];
  // Without privileges the ARP settings are fixed at create time and cannot be switched here.
  const arp = method !== 'nat' && rs.arpSuppression && privilegeOf(scenario, rs) !== 'minimal';
  const service = virtualService(scenario);

  if (action === 'stop') {
    const why = `Take ${rs.name} out of the virtual service first, so the director sends it nothing new.`;
    exec('director', dir, deleteRealServer(service, real), why);
    const ifconfig = device === 'lo' ? 'lo:0' : device;
    if (method !== 'nat') onServer(vipArgv('del'), `lvs-rs.sh stop: the VIP leaves ${device} (ifconfig ${ifconfig} down).`);
    if (arp) onServer(arpSysctl(false), 'lvs-rs.sh stop: back to the kernel defaults (arp_ignore=0, arp_announce=0).');
  } else {
    if (arp) onServer(arpSysctl(true), "lvs-rs.sh start: hide the VIP from ARP, before the VIP goes on (seed 000's order).");
    const hostRoute = 'ifconfig lo:0 VIP netmask 255.255.255.255; the host route comes with it';
    if (method !== 'nat') onServer(vipArgv('add'), `lvs-rs.sh start: the VIP on ${device} as /32 (${hostRoute}).`);
    exec('director', dir, addRealServer(service, real), `Put ${rs.name} back into the virtual service.`);
  }
  return { lab: scenario.name, scenario, steps };
}

/** lvs-rs.sh's ARP settings on `all` and `lo`: suppressing (1 and 2) or the kernel's defaults (0 and 0). */
function arpSysctl(suppress: boolean): string[] {
  const values = (d: string) => [
    `net.ipv4.conf.${d}.arp_ignore=${suppress ? 1 : 0}`,
    `net.ipv4.conf.${d}.arp_announce=${suppress ? 2 : 0}`,
  ];
  return ['sysctl', '-w', ...['all', 'lo'].flatMap(values)];
}

function realServerNamed(scenario: Scenario, node: string): RealServerNode {
  const rs = scenario.nodes.find((n): n is RealServerNode => n.name === node && n.role === 'real-server');
  if (!rs) {
    const names = scenario.nodes.filter((n) => n.role === 'real-server').map((n) => n.name);
    throw usageError(`${node} is not a real server of lab ${scenario.name}.`, `Real servers: ${names.join(', ')}.`);
  }
  return rs;
}

/** Stop or start a real server's web server: what a health check (keepalived) notices. */
export function webServicePlan(scenario: Scenario, node: string, action: 'start' | 'stop'): Plan {
  const rs = realServerNamed(scenario, node);
  const argv = webControl(rs.webServer, initOf(scenario, rs), action);
  const why = action === 'stop'
    ? 'The web server goes down, as in an outage; a health check should take this server out of the table.'
    : 'The web server comes back; the health check should put this server back in the table.';
  const step: Step = { kind: 'exec', phase: 'realServers', node: rs.name, argv, command: displayCommand(argv), why };
  return { lab: scenario.name, scenario, steps: [step] };
}
