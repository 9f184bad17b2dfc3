import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readFileSync } from 'node:fs';
import { LabError } from '../../src/errors.js';
import { listBuiltinScenarios, loadScenario, parseScenario, validateScenario } from '../../src/scenario/load.js';
import { canonicalCidr, parseCidr } from '../../src/scenario/ipv4.js';

const rrBasic = () => parse(readFileSync(new URL('../../scenarios/rr-basic.yaml', import.meta.url), 'utf8'));

function issuesOf(data: unknown): string[] {
  try {
    validateScenario(data, 'test.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(LabError);
    expect((err as LabError).exitCode).toBe(2);
    return (err as LabError).details;
  }
  throw new Error('expected the scenario to be rejected');
}

describe('scenario schema', () => {
  it('loads rr-basic with the tutorial\'s exact addresses and names', async () => {
    const { scenario, source } = await loadScenario('rr-basic');
    expect(source).toBe('builtin:rr-basic');
    expect(scenario.networks).toEqual([{ name: 'lvs_dr', subnet: '172.20.0.0/16', internal: true }]);
    expect(scenario.service).toMatchObject({ vip: '172.20.1.100', port: 80, scheduler: 'rr' });
    expect(scenario.forwarding).toBe('dr');
    expect(scenario.nodes.map((n) => [n.name, n.role, n.address])).toEqual([
      ['lvs', 'director', '172.20.1.1'],
      ['rs1', 'real-server', '172.20.1.10'],
      ['rs2', 'real-server', '172.20.1.11'],
      ['client', 'client', '172.20.1.50'],
    ]);
    const pages = scenario.nodes.flatMap((n) => (n.role === 'real-server' ? [n.page] : []));
    expect(pages).toEqual(['from rs1 server...', 'from rs2 server...']);
    expect(scenario.defaults).toEqual({ image: 'lvs-lab/debian:bookworm', init: 'systemd', privilege: 'privileged' });
  });

  it('every built-in scenario validates', async () => {
    for (const name of listBuiltinScenarios()) expect((await loadScenario(name)).scenario.name).toBe(name);
  });

  it('reports an address outside the subnet with its path, as Docker stores the subnet', () => {
    const data = rrBasic();
    data.nodes[2].address = '10.9.9.9';
    expect(issuesOf(data)).toContain('nodes[2].address: not inside 172.20.0.0/16');
  });

  it('reports every issue at once, each with its path', () => {
    const data = rrBasic();
    data.service.scheduler = 'random';
    data.service.vip = '172.20.1.300';
    data.nodes[1].weight = -1;
    data.nodes[3].role = 'observer';
    const issues = issuesOf(data);
    expect(issues.some((i) => i.startsWith('service.scheduler:'))).toBe(true);
    expect(issues).toContain('service.vip: not an IPv4 address');
    expect(issues.some((i) => i.startsWith('nodes[1].weight:'))).toBe(true);
    expect(issues.some((i) => i.startsWith('nodes[3].role:'))).toBe(true);
  });

  it('rejects unknown keys, duplicate names and addresses, the gateway, and the VIP as a node address', () => {
    const data = rrBasic();
    data.nodes[0].adress = '172.20.1.2';
    data.nodes[2].name = 'rs1';
    data.nodes[3].address = '172.20.1.10';
    const issues = issuesOf(data);
    expect(issues.some((i) => i.startsWith('nodes[0]:') && i.includes('adress'))).toBe(true);
    expect(issues).toContain('nodes[2].name: node "rs1" is declared twice');
    expect(issues).toContain("nodes[3].address: 172.20.1.10 is already rs1's address");

    const gateway = rrBasic();
    gateway.nodes[0].address = '172.20.0.1';
    expect(issuesOf(gateway)).toContain('nodes[0].address: 172.20.0.1 is the Docker gateway of 172.20.0.0/16; pick another address');
    const vip = rrBasic();
    vip.nodes[1].address = '172.20.1.100';
    expect(issuesOf(vip).some((i) => i.startsWith('nodes[1].address: is the VIP'))).toBe(true);
  });

  it('needs a director, a real server and a client', () => {
    const data = rrBasic();
    data.nodes = data.nodes.filter((n: { role: string }) => n.role === 'real-server');
    const issues = issuesOf(data);
    expect(issues).toContain('nodes: needs exactly one director, found 0');
    expect(issues).toContain('nodes: needs a client node: verify sends its requests from there');
  });

  it('refuses port mapping outside NAT (DR keeps the VIP\'s port)', () => {
    const data = rrBasic();
    data.nodes[1].port = 8080;
    expect(issuesOf(data)).toContain("nodes[1].port: only NAT can map ports; DR keeps the VIP's port 80");
  });

  it('takes several networks with per-network addresses, and checks each', () => {
    const data = rrBasic();
    data.networks.push({ name: 'lvs_rs', subnet: '192.168.50.0/24' });
    data.nodes = data.nodes.map((n: Record<string, unknown>) => {
      const { address, ...rest } = n;
      return { ...rest, addresses: { lvs_dr: address } };
    });
    data.nodes[1].addresses = { lvs_rs: '192.168.60.10' };
    const issues = issuesOf(data);
    expect(issues).toContain('nodes[1].addresses.lvs_rs: not inside 192.168.50.0/24');
    expect(issues).toContain('nodes[1]: DR needs the real server on the same L2 network as the director');
  });

  it('turns a YAML syntax error into a usage error with the line', async () => {
    try {
      await parseScenario('name: x\n  nodes: [\n', 'bad.yaml');
      throw new Error('expected failure');
    } catch (err) {
      expect((err as LabError).exitCode).toBe(2);
      expect((err as LabError).message).toBe('bad.yaml is not valid YAML.');
      expect((err as LabError).details[0]).toMatch(/line/i);
    }
  });

  it('an unknown built-in name lists the ones there are', async () => {
    await expect(loadScenario('rr-basik')).rejects.toThrow(/no built-in scenario "rr-basik"/);
  });
});

describe('ipv4 helpers', () => {
  it('canonicalises the tutorial\'s subnet the way Docker does', () => {
    expect(canonicalCidr(parseCidr('172.20.1.0/16')!)).toBe('172.20.0.0/16');
    expect(canonicalCidr(parseCidr('192.168.50.77/24')!)).toBe('192.168.50.0/24');
    expect(parseCidr('172.20.1.0/33')).toBeUndefined();
    expect(parseCidr('300.1.1.0/16')).toBeUndefined();
  });
});
