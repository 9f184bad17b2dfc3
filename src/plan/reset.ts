import { director, forwardingOf, initOf, privilegeOf, realServers, vipInterface } from '../scenario/model.js';
import type { Scenario } from '../scenario/schema.js';
import { buildPlan } from './build.js';
import { displayCommand } from './shell.js';
import type { Plan, Step } from './types.js';

type ExecStep = Extract<Step, { kind: 'exec' }>;
type Undo = Omit<ExecStep, 'phase'>;

/**
 * `lab reset`: a running lab back to its just-built state without new containers. Each node first undoes
 * what may have drifted (the director's table emptied, the VIPs taken off, the ARP settings back to the
 * kernel's defaults), then gets the same commands `up` ran, in the same order (ARP before the VIP).
 * Pages are rewritten and services started (a no-op where they run). Pure, like buildPlan.
 */
export function resetPlan(scenario: Scenario, source: string): Plan {
  const built = buildPlan(scenario, source).steps.filter((s): s is ExecStep => s.kind === 'exec');
  const undo = undoSteps(scenario);
  const steps: Step[] = [];
  const seen = new Set<string>();
  for (const step of built) {
    if (!seen.has(step.node)) {
      seen.add(step.node);
      steps.push(...(undo.get(step.node) ?? []).map((u) => ({ ...u, phase: step.phase })));
    }
    steps.push(step);
  }
  return { lab: scenario.name, scenario, steps };
}

function undoSteps(scenario: Scenario): Map<string, Undo[]> {
  const undo = new Map<string, Undo[]>();
  const add = (node: string, argv: string[], why: string) =>
    undo.set(node, [...(undo.get(node) ?? []), { kind: 'exec', node, argv, command: displayCommand(argv), why }]);
  const { vip } = scenario.service;
  const dir = director(scenario);
  if (scenario.service.manager === 'keepalived') {
    const stop = initOf(scenario, dir) === 'systemd'
      ? ['systemctl', 'stop', 'keepalived']
      : ['sh', '-c', 'pkill -x keepalived; true'];
    add(dir.name, stop, 'keepalived owns the table: stop it (it empties its table), to start again from its configuration.');
  }
  add(dir.name, ['ipvsadm', '-C'], 'Empty the IPVS table: the scenario\'s rules go back exactly, nothing added by hand stays.');
  const vipIf = vipInterface(scenario);
  const off = (device: string, prefix: number) => ['sh', '-c', `ip addr del ${vip}/${prefix} dev ${device} 2>/dev/null; true`];
  add(dir.name, off(vipIf.device, vipIf.prefix), 'Take the VIP off (if it is there) to put it back as `up` did.');
  for (const rs of realServers(scenario)) {
    const method = forwardingOf(scenario, rs);
    if (method === 'nat') continue;
    const device = method === 'tun' ? 'tunl0' : 'lo';
    const why = `Take the VIP off ${device} first: the ARP settings must be in place before it goes back on (seed 000).`;
    add(rs.name, off(device, 32), why);
    // Without privileges the ARP settings are fixed at create time: nothing to undo, nothing could change them.
    if (privilegeOf(scenario, rs) !== 'minimal') {
      const defaults = ['all', 'lo'].flatMap((d) => [`net.ipv4.conf.${d}.arp_ignore=0`, `net.ipv4.conf.${d}.arp_announce=0`]);
      const why = 'The ARP settings back to a fresh container\'s (the kernel\'s defaults), then to the scenario\'s.';
      add(rs.name, ['sysctl', '-w', ...defaults], why);
    }
  }
  return undo;
}
