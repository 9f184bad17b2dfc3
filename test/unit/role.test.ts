import { describe, expect, it } from 'vitest';
import { realServerRolePlan } from '../../src/plan/role.js';
import { applyOverrides } from '../../src/scenario/model.js';
import { builtinScenario } from '../helpers/builtin.js';

const commands = (plan: ReturnType<typeof realServerRolePlan>) => plan.steps.map((s) => `[${s.kind === 'exec' ? s.node : 'host'}] ${s.command}`);

describe('lab rs stop|start (seed 003 lvs-rs.sh)', () => {
  const rr = builtinScenario('rr-basic');
  it('stop: out of the table first, then the VIP and ARP settings go', () => {
    expect(commands(realServerRolePlan(rr, 'rs1', 'stop'))).toEqual([
      '[lvs] ipvsadm -d -t 172.20.1.100:80 -r 172.20.1.10',
      '[rs1] ip addr del 172.20.1.100/32 dev lo',
      '[rs1] sysctl -w net.ipv4.conf.all.arp_ignore=0 net.ipv4.conf.all.arp_announce=0 net.ipv4.conf.lo.arp_ignore=0 net.ipv4.conf.lo.arp_announce=0',
    ]);
  });
  it('start: ARP settings before the VIP, then back into the table with its weight', () => {
    expect(commands(realServerRolePlan(builtinScenario('wrr'), 'rs2', 'start'))).toEqual([
      '[rs2] sysctl -w net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 net.ipv4.conf.lo.arp_ignore=1 net.ipv4.conf.lo.arp_announce=2',
      '[rs2] ip addr add 192.168.237.141/32 dev lo',
      '[lvs] ipvsadm -a -t 192.168.237.141:80 -r 192.168.237.172 -g -w 2',
    ]);
  });
  it('NAT only touches the director; minimal privileges leave the create-time sysctls alone', () => {
    expect(commands(realServerRolePlan(builtinScenario('nat'), 'rs1', 'stop'))).toEqual(['[lvs] ipvsadm -d -t 192.168.100.150:80 -r 172.16.100.11:8080']);
    const minimal = applyOverrides(rr, { privilege: 'minimal', init: 'none' });
    expect(commands(realServerRolePlan(minimal, 'rs1', 'start')).some((c) => c.includes('sysctl'))).toBe(false);
  });
  it('refuses a node that is not a real server', () => {
    expect(() => realServerRolePlan(rr, 'lvs', 'stop')).toThrow(/lvs is not a real server of lab rr-basic/);
  });
});
