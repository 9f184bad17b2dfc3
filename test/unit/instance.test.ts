import { describe, expect, it } from 'vitest';
import { LABEL } from '../../src/labels.js';
import { buildPlan } from '../../src/plan/build.js';
import { containerName, instantiate, nodeContainers, pickSubnets } from '../../src/scenario/instance.js';
import { cidrContains, ipToInt, parseCidr } from '../../src/scenario/ipv4.js';
import { listBuiltinScenarios, validateScenario } from '../../src/scenario/load.js';
import { nodeInterfaces } from '../../src/scenario/model.js';
import type { Scenario } from '../../src/scenario/schema.js';
import type { Command } from 'commander';
import { execOperands, nodeTarget } from '../../src/cli/node-target.js';
import { formatPlan, planToJson } from '../../src/plan/format.js';
import { builtinScenario } from '../helpers/builtin.js';

/** Every address a scenario names, with the network it must lie in (undefined: outside every subnet is fine). */
function addresses(s: Scenario): Array<{ what: string; ip: string }> {
  return [
    { what: 'vip', ip: s.service.vip },
    ...s.nodes.flatMap((n) => nodeInterfaces(s, n).map((i) => ({ what: `${n.name} on ${i.network}`, ip: i.address }))),
    ...s.nodes.flatMap((n) => n.routes.map((r) => ({ what: `${n.name}'s route via`, ip: r.via }))),
  ];
}

const hostPart = (ip: string, subnet: string) => ipToInt(ip) - ipToInt(parseCidr(subnet)!.network);
const IPV4 = /(?<![\d.])\d{1,3}(\.\d{1,3}){3}(?![\d]|\.\d)/g;

describe('instantiate, for every built-in scenario', () => {
  for (const name of listBuiltinScenarios()) {
    it(`${name}: an instance is valid, its addresses in its new subnets with their host parts, its names its own`, () => {
      const original = builtinScenario(name);
      const taken = original.networks.map((n) => n.subnet);
      const subnets = pickSubnets(original.networks.map((n) => parseCidr(n.subnet)!.prefix), taken)!;
      const inst = validateScenario(instantiate(original, 'alice', subnets), 'the instance');
      expect(inst.name).toBe('alice');
      expect(inst.instance).toEqual({ of: name });
      expect(inst.networks.map((n) => n.name)).toEqual(original.networks.map((n) => `alice-${n.name}`));
      expect(inst.networks.map((n) => n.subnet)).toEqual(subnets);
      expect(inst.nodes.map((n) => n.name)).toEqual(original.nodes.map((n) => n.name));
      // Every address, old and new, pairwise: the new one in the new subnet at the old one's offset.
      const before = addresses(original);
      const after = addresses(inst);
      expect(after.map((a) => a.what.replace('alice-', ''))).toEqual(before.map((a) => a.what));
      after.forEach((a, i) => {
        const j = inst.networks.findIndex((n) => cidrContains(parseCidr(n.subnet)!, a.ip));
        expect(j, `${a.what} ${a.ip}`).toBeGreaterThanOrEqual(0);
        expect(cidrContains(parseCidr(original.networks[j]!.subnet)!, before[i]!.ip)).toBe(true);
        expect(hostPart(a.ip, inst.networks[j]!.subnet)).toBe(hostPart(before[i]!.ip, original.networks[j]!.subnet));
      });
      // No address of the old subnets is left anywhere: scripts, pages, routes' destinations.
      const text = JSON.stringify({ ...inst, title: '', description: '', seed: '' });
      const old = (text.match(IPV4) ?? []).filter((ip) => original.networks.some((n) => cidrContains(parseCidr(n.subnet)!, ip)));
      expect(old).toEqual([]);
      // The plan names its containers and networks after the instance, its node labels stay the node names.
      const plan = buildPlan(validateScenario({ ...inst, defaults: { ...inst.defaults, init: 'none', privilege: 'privileged' },
        nodes: inst.nodes.map((n) => ({ ...n, init: 'none', privilege: 'privileged' })) }, 'x'), 'builtin:' + name);
      for (const step of plan.steps) {
        if (step.kind === 'network') expect(step.network.name).toMatch(/^alice-/);
        if (step.kind === 'container') {
          expect(step.container.name).toBe(`alice-${step.node}`);
          expect(step.container.hostname).toBe(step.node);
          expect(step.container.labels[LABEL.lab]).toBe('alice');
          expect(step.container.labels[LABEL.scenario]).toBe(name);
          expect(step.container.labels[LABEL.node]).toBe(step.node);
          expect(step.command).toContain(`--name=alice-${step.node}`);
        }
      }
    });
  }

  it('keeps a route to a destination outside every subnet, and moves one inside', () => {
    const nat = builtinScenario('nat');
    const rs1 = nat.nodes.find((n) => n.name === 'rs1')!;
    const withRoutes = { ...nat, nodes: nat.nodes.map((n) => n === rs1 ? { ...n, routes: [
      { to: '10.0.0.0/8', via: '172.16.100.10' }, { to: '192.168.100.0/25', via: '172.16.100.10' }] } : n) };
    const inst = instantiate(withRoutes as Scenario, 'bob', ['10.128.0.0/24', '10.128.1.0/24']);
    expect(inst.nodes.find((n) => n.name === 'rs1')!.routes).toEqual([
      { to: '10.0.0.0/8', via: '10.128.1.10' }, { to: '10.128.0.0/25', via: '10.128.1.10' }]);
    expect(inst.service.network).toBe('bob-lvs_outer');
  });

  it('moves the seed\'s MySQL grant wildcard with its /16', () => {
    const wp = builtinScenario('wordpress');
    const inst = instantiate(wp, 'carol', ['10.130.0.0/16']);
    const scripts = inst.setup.map((s) => s.run).join('\n');
    expect(scripts).toContain("'wpuser'@'10.130.%'");
    expect(scripts).toContain('/data/wordpress 10.130.0.0/16(rw,fsid=1)');
    expect(scripts).not.toContain('172.16.');
  });
});

describe('a scenario without an instance', () => {
  it('keeps its containers named after its nodes, and exec targets as they are', () => {
    const rr = builtinScenario('rr-basic');
    expect(containerName(rr, 'rs1')).toBe('rs1');
    const inst = instantiate(rr, 'alice', ['10.128.0.0/16']);
    expect(containerName(inst, 'rs1')).toBe('alice-rs1');
    const target = nodeContainers(inst);
    expect([target('lvs'), target('0123456789ab'), target('alice-lvs')]).toEqual(['alice-lvs', '0123456789ab', 'alice-lvs']);
  });
});

describe('pickSubnets', () => {
  it('takes the first subnets of the pool that overlap nothing taken, nor each other', () => {
    expect(pickSubnets([16], [])).toEqual(['10.128.0.0/16']);
    expect(pickSubnets([16], ['10.128.5.0/24', '172.17.0.0/16'])).toEqual(['10.129.0.0/16']);
    expect(pickSubnets([24, 24], ['10.128.0.0/24'])).toEqual(['10.128.1.0/24', '10.128.2.0/24']);
    expect(pickSubnets([16, 24], ['10.128.0.0/9'])).toBeUndefined();
    expect(pickSubnets([24], ['10.0.0.0/8'])).toBeUndefined();
    // A taken subnet larger than the pool's pieces (10.128.0.0/12 covers 10.128-143): skipped as a whole.
    expect(pickSubnets([16], ['10.128.0.0/12'])).toEqual(['10.144.0.0/16']);
  });

  it('refuses a network larger than the pool', () => {
    expect(pickSubnets([8], [])).toBeUndefined();
  });
});

describe('the plan of an instance', () => {
  it('says whose instance it is, in words and in JSON', () => {
    const inst = instantiate(builtinScenario('rr-basic'), 'alice', ['10.128.0.0/16']);
    const plan = buildPlan(inst, 'builtin:rr-basic');
    expect(formatPlan(plan).split('\n')[0]).toMatch(/^Plan for alice \(instance of rr-basic\): /);
    expect(formatPlan(plan)).toContain('docker network create --subnet=10.128.0.0/16 --internal alice-lvs_dr');
    expect(planToJson(plan)).toMatchObject({ lab: 'alice', scenario: 'rr-basic' });
  });
});

describe('execOperands: [LAB] NODE -- COMMAND', () => {
  // What commander hands the action: the operands without the first `--`, and the command line as it was.
  const exec = (line: string[]) => {
    const operands = line.filter((_, i) => i !== line.indexOf('--'));
    return execOperands({ parent: { rawArgs: ['exec', ...line] } } as unknown as Command, operands);
  };
  it('splits at the first --: before it the lab and the node, after it the command (a later -- its own)', () => {
    expect(exec(['rs1', '--', 'ls', '-l'])).toEqual({ target: { node: 'rs1' }, argv: ['ls', '-l'] });
    expect(exec(['alice', 'rs1', '--', 'sh', '-c', 'x', '--', 'y'])).toEqual({
      target: { lab: 'alice', node: 'rs1' }, argv: ['sh', '-c', 'x', '--', 'y'] });
  });
  it('without --, the first operand is the node, as before instances', () => {
    expect(exec(['rs1', 'hostname'])).toEqual({ target: { node: 'rs1' }, argv: ['hostname'] });
  });
  it('no command, or three names before --, is a usage error', () => {
    expect(() => exec(['rs1', '--'])).toThrow(/No command to run/);
    expect(() => exec(['a', 'b', 'c', '--', 'ls'])).toThrow(/got 3 names/);
  });
});

describe('nodeTarget: [LAB] NODE', () => {
  it('reads one name as the node, two as the lab and the node', () => {
    expect(nodeTarget(['rs1'], 'x')).toEqual({ node: 'rs1' });
    expect(nodeTarget(['alice', 'rs1'], 'x')).toEqual({ lab: 'alice', node: 'rs1' });
    expect(() => nodeTarget(['a', 'b', 'c'], 'x')).toThrow(/got 3 names/);
  });
});
