import { describe, expect, it } from 'vitest';
import { shServerFor } from '../../src/lvs/sh-hash.js';
import { parseCounters } from '../../src/lvs/counters.js';
import { parseStats } from '../../src/lvs/parse.js';
import { addressOn, clients, realServers, vipInterface } from '../../src/scenario/model.js';
import type { Captures, DirectorTables, Topology } from '../../src/verify/evidence.js';
import { checkDirectorReplies, checkNatRewrite, checkTunnel } from '../../src/verify/forwarding.js';
import { parseTcpdump } from '../../src/verify/packets.js';
import { checkLeastConnection, checkPersistence, checkSourceHashing } from '../../src/verify/schedule.js';
import { requestsFrom, shKernelPicks, tcpdumpLine } from '../helpers/verify-fixtures.js';
import { builtinScenario } from '../helpers/builtin.js';

// The kernel's own choices (scripts/sh-kernel-picks.sh asked IPVS in User-Mode Linux), not the formula again.
describe('source hashing agrees with the picks of a real kernel\'s ip_vs_sh', () => {
  const services = shKernelPicks();

  it('the recorded picks cover equal weights, weights 1:2:3 and a weight-0 server, over many addresses', () => {
    expect(services.map((s) => s.servers.map((r) => r.weight).join(':'))).toEqual(['1:1', '1:2:3', '0:1']);
    for (const s of services) expect(Object.keys(s.picks).length).toBeGreaterThanOrEqual(40);
    expect(services.map((s) => [...new Set(Object.values(s.picks))].sort())).toEqual([['rs1', 'rs2'], ['rs1', 'rs2', 'rs3'], ['none', 'rs2']]);
  });

  it.each(services.map((s) => [s.servers.map((r) => `${r.name}:${r.weight}`).join(' '), s] as const))(
    'servers %s: every client on the server the kernel gave it (none: no server at all)',
    (_, service) => {
      const computed = Object.keys(service.picks).map((client) => [client, shServerFor(client, service.servers) ?? 'none']);
      expect(Object.fromEntries(computed)).toEqual(service.picks);
    },
  );

  it('the built-in sh scenario\'s two clients land on different servers, as the kernel picked them', () => {
    const scenario = builtinScenario('sh');
    const kernel = services[0]!;
    const servers = realServers(scenario).map((rs) => ({ name: rs.name, weight: rs.weight }));
    expect(servers.map((s) => `${s.name}:${s.weight}`)).toEqual(kernel.servers.map((s) => `${s.name}:${s.weight}`));
    const addresses = clients(scenario).map((c) => addressOn(scenario, c, vipInterface(scenario).network)!);
    const picked = addresses.map((a) => kernel.picks[a]);
    expect(addresses.map((a) => shServerFor(a, servers))).toEqual(picked);
    expect(new Set(picked)).toEqual(new Set(['rs1', 'rs2']));
  });
});

describe('scheduler properties beyond rr/wrr', () => {
  it('persistence: all on one server passes, a spread fails', () => {
    expect(checkPersistence(300, requestsFrom('client', 'rs1', 'rs1', 'rs1')).status).toBe('pass');
    expect(checkPersistence(300, requestsFrom('client', 'rs1', 'rs2', 'rs1')).diagnosis).toContain('persistent');
  });
  it('sh: each client sticks, on the hashed server', () => {
    expect(checkSourceHashing([
      { client: 'client1', expected: 'rs1', requests: requestsFrom('client1', 'rs1', 'rs1') },
      { client: 'client2', expected: 'rs2', requests: requestsFrom('client2', 'rs2', 'rs2') },
    ]).status).toBe('pass');
    const wrong = checkSourceHashing([{ client: 'client1', expected: 'rs1', requests: requestsFrom('client1', 'rs2', 'rs2') }]);
    expect(wrong.summary).toContain('client1 landed on rs2, the hash says rs1');
    expect(checkSourceHashing([{ client: 'c', expected: 'rs1', requests: requestsFrom('c', 'rs1', 'rs2') }]).summary).toContain('spread over');
    const unserved = checkSourceHashing([{ client: 'client1', expected: undefined, requests: requestsFrom('client1', null, null) }]);
    expect(unserved.status).toBe('fail');
    expect(unserved.summary).toContain('client1 got no page, the hash gives it no server');
  });
  it('lc: new connections avoid the busy server', () => {
    expect(checkLeastConnection('rs1', requestsFrom('client', 'rs2', 'rs2', 'rs2')).status).toBe('pass');
    expect(checkLeastConnection('rs1', requestsFrom('client', 'rs2', 'rs1', 'rs2')).status).toBe('fail');
    expect(checkLeastConnection(undefined, requestsFrom('client', 'rs2')).status).toBe('fail');
  });
});

const topo: Topology = {
  vip: '192.168.100.150',
  port: 80,
  client: { name: 'client', ip: '192.168.100.50', mac: 'aa:00:00:00:00:50' },
  clientIps: ['192.168.100.50'],
  director: { name: 'lvs', ip: '192.168.100.155', mac: 'aa:00:00:00:00:01' },
  realServers: [
    { name: 'rs1', ip: '172.16.100.11', mac: 'aa:00:00:00:00:11', port: 8080 },
    { name: 'rs2', ip: '172.16.100.12', mac: 'aa:00:00:00:00:12', port: 80 },
  ],
};
const line = (from: string, to: string, flags: string, outer = '') => tcpdumpLine('aa:00:00:00:00:01', 'aa:00:00:00:00:11', from, to, flags, outer);

describe('forwarding-method checks', () => {
  // As the kernel prints /proc/net/ip_vs_stats_percpu: a row per CPU, the last fold (~), then the rates.
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(8);
  const percpu = (conns: number, outPkts: number) => [
    '       Total Incoming Outgoing         Incoming         Outgoing',
    'CPU    Conns  Packets  Packets            Bytes            Bytes',
    `  0 ${hex(conns)}       1A ${hex(outPkts)}              690              800`,
    '  1        2        4        0              1F0                0',
    '  ~        0        0        0                0                0',
    '',
    '     Conns/s   Pkts/s   Pkts/s          Bytes/s          Bytes/s',
    '           0        1        0               2A                0',
  ].join('\n');
  // `--stats` before IPVS's fold: still the counts from before the requests.
  const stats = parseStats('TCP  192.168.100.150:80                     4       26        0     1680        0\n');
  const tables = (before: string, after: string): DirectorTables => ({
    counters: { command: 'cat /proc/net/ip_vs_stats_percpu', before: parseCounters(before), after: parseCounters(after) },
    stats: { command: 'ipvsadm -Ln --stats', output: '', services: stats },
    connections: { command: 'ipvsadm -Lnc', output: '', entries: [] },
  });
  it('IPVS\'s counters: the CPU rows summed from hex, not the fold (~) or the rates', () => {
    const summed = { conns: 28, inPkts: 30, outPkts: 34, inBytes: 0x690 + 0x1f0, outBytes: 0x800 };
    expect(parseCounters(percpu(26, 34))).toEqual(summed);
    expect(parseCounters('cat: /proc/net/ip_vs_stats_percpu: No such file or directory')).toBeUndefined();
  });
  it('director replies: on the counters during the requests (NAT needs OutPkts > 0, DR/TUN 0), each with the cause', () => {
    expect(checkDirectorReplies('nat', topo, tables(percpu(4, 0), percpu(10, 22))).status).toBe('pass');
    expect(checkDirectorReplies('nat', topo, tables(percpu(4, 22), percpu(10, 22))).diagnosis).toContain('gateway');
    const dr = checkDirectorReplies('dr', topo, tables(percpu(4, 0), percpu(10, 0)));
    expect(dr).toMatchObject({ status: 'pass', summary: expect.stringContaining('Conns 6, InPkts 0, OutPkts 0') });
    // `--stats` says OutPkts 0 (not folded yet); the counters say 5 replies went through the director.
    expect(checkDirectorReplies('tun', topo, tables(percpu(4, 0), percpu(10, 5))).status).toBe('fail');
    expect(checkDirectorReplies('dr', topo, tables('', percpu(10, 0))).status).toBe('not-checked');
    const noService = { ...tables(percpu(4, 0), percpu(10, 0)), stats: { command: '', output: '', services: [] } };
    const missing = { status: 'fail', diagnosis: expect.stringContaining('missing') };
    expect(checkDirectorReplies('dr', topo, noService)).toMatchObject(missing);
  });
  it('NAT rewrite: client source kept, mapped port, reply leaves the director as the VIP', () => {
    const captures: Captures = {
      client: [],
      director: parseTcpdump(line('192.168.100.150.80', '192.168.100.50.40000', 'S.')),
      realServers: { rs1: parseTcpdump(line('192.168.100.50.40000', '172.16.100.11.8080', 'S')), rs2: parseTcpdump(line('192.168.100.50.40002', '172.16.100.12.80', 'S')) },
    };
    expect(checkNatRewrite(topo, captures).status).toBe('pass');
    const unmapped = { ...captures, realServers: { rs1: parseTcpdump(line('192.168.100.50.40000', '172.16.100.11.80', 'S')) } };
    expect(checkNatRewrite(topo, unmapped).summary).toContain('not addressed to 172.16.100.11:8080');
  });
  it('TUN: IPIP from the director with the VIP inside', () => {
    const tun = { ...topo, vip: '172.21.0.100', director: { ...topo.director, ip: '172.21.0.5' }, realServers: [{ ...topo.realServers[0]!, ip: '172.21.0.10', port: 80 }] };
    const wrapped = parseTcpdump(line('172.21.0.50.40000', '172.21.0.100.80', 'S', '172.21.0.5 > 172.21.0.10: '));
    expect(checkTunnel(tun, { client: [], director: [], realServers: { rs1: wrapped } }).status).toBe('pass');
    const bare = parseTcpdump(line('172.21.0.50.40000', '172.21.0.100.80', 'S'));
    expect(checkTunnel(tun, { client: [], director: [], realServers: { rs1: bare } }).summary).toContain('without an IPIP header');
  });
});

describe('NAT gateway check', () => {
  it('names the real server without the director as gateway, and the command that fixes it', async () => {
    const { checkNatGateway } = await import('../../src/verify/forwarding.js');
    const ok = checkNatGateway([{ server: 'rs1', via: '172.16.100.10', routeGet: '192.168.100.50 via 172.16.100.10 dev eth0 src 172.16.100.11 uid 0\n    cache\n' }]);
    expect(ok.status).toBe('pass');
    const bad = checkNatGateway([
      { server: 'rs1', via: '172.16.100.10', routeGet: '192.168.100.50 via 172.16.100.10 dev eth0 src 172.16.100.11\n' },
      { server: 'rs2', via: '172.16.100.10', routeGet: 'RTNETLINK answers: Network is unreachable\n' },
    ]);
    expect(bad.status).toBe('fail');
    expect(bad.diagnosis).toMatch(/^rs2 does not use the director as gateway.*`lab exec rs2 -- ip route replace default via 172\.16\.100\.10`/);
  });
});

describe('failover check', () => {
  it('passes when the server leaves the table, traffic avoids it, and it comes back; says the times', async () => {
    const { checkFailover } = await import('../../src/verify/failover.js');
    const base = { server: 'rs1', checkInterval: 2, removedAfter: 3.2, during: requestsFrom('client', 'rs2', 'rs2'), restoredAfter: 2.5, after: requestsFrom('client', 'rs1', 'rs2') };
    const ok = checkFailover(base);
    expect(ok.status).toBe('pass');
    expect(ok.summary).toContain('removed 3.2 s after the stop, back 2.5 s after the start');
    expect(checkFailover({ ...base, removedAfter: undefined }).diagnosis).toContain('keepalived is not checking it');
    expect(checkFailover({ ...base, during: requestsFrom('client', 'rs1', null) }).status).toBe('fail');
    expect(checkFailover({ ...base, restoredAfter: undefined }).status).toBe('fail');
  });
});
