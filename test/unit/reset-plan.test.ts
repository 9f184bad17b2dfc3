import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../src/plan/build.js';
import { resetPlan } from '../../src/plan/reset.js';
import { builtinLoaded } from '../helpers/builtin.js';

const plan = (name: string) => {
  const { scenario, source } = builtinLoaded(name);
  return { reset: resetPlan(scenario, source), built: buildPlan(scenario, source) };
};
const lines = (steps: Array<{ kind: string; command: string } & Partial<{ node: string }>>) => steps.map((s) => `[${s.node}] ${s.command}`);

describe('lab reset: the plan', () => {
  it('makes nothing: only commands on the running nodes, every one of up\'s commands included, in up\'s order', () => {
    const { reset, built } = plan('rr-basic');
    expect(reset.steps.every((s) => s.kind === 'exec')).toBe(true);
    const upCommands = lines(built.steps.filter((s) => s.kind === 'exec') as never);
    const resetCommands = lines(reset.steps as never);
    expect(resetCommands.filter((c) => upCommands.includes(c))).toEqual(upCommands);
  });

  it('empties the table and takes the VIPs off before putting them back; ARP settings before the VIP on a real server', () => {
    const c = lines(plan('rr-basic').reset.steps as never);
    expect(c.indexOf('[lvs] ipvsadm -C')).toBeLessThan(c.indexOf('[lvs] ipvsadm -A -t 172.20.1.100:80 -s rr'));
    const off = c.indexOf('[rs1] ip addr del 172.20.1.100/32 dev lo 2>/dev/null; true');
    const defaults = c.indexOf('[rs1] sysctl -w net.ipv4.conf.all.arp_ignore=0 net.ipv4.conf.all.arp_announce=0 net.ipv4.conf.lo.arp_ignore=0 net.ipv4.conf.lo.arp_announce=0');
    const arp = c.findIndex((x) => x.startsWith('[rs1] sysctl -w net.ipv4.conf.all.arp_ignore=1'));
    const on = c.indexOf('[rs1] ip addr add 172.20.1.100/32 dev lo label lo:1');
    expect([off, defaults, arp, on].every((i) => i >= 0)).toBe(true);
    expect(off < defaults && defaults < arp && arp < on).toBe(true);
    expect(c).toContain('[lvs] ip addr del 172.20.1.100/16 dev eth0 2>/dev/null; true');
  });

  it('arp-problem goes back to no ARP suppression at all; keepalived is stopped before the table is emptied', () => {
    const arpProblem = lines(plan('arp-problem').reset.steps as never);
    expect(arpProblem.some((x) => /arp_ignore=1/.test(x))).toBe(false);
    expect(arpProblem.some((x) => /arp_ignore=0/.test(x))).toBe(true);
    const failover = lines(plan('failover').reset.steps as never);
    expect(failover.indexOf('[lvs] systemctl stop keepalived')).toBeLessThan(failover.indexOf('[lvs] ipvsadm -C'));
    expect(failover.indexOf('[lvs] ipvsadm -C')).toBeLessThan(failover.indexOf('[lvs] systemctl start keepalived'));
  });
});
