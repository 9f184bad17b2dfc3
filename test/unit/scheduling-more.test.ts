import { describe, expect, it } from 'vitest';
import { shBucket, shServerFor } from '../../src/lvs/sh-hash.js';
import { parseStats } from '../../src/lvs/parse.js';
import type { Captures, Topology } from '../../src/verify/dr.js';
import { checkDirectorReplies, checkNatRewrite, checkTunnel } from '../../src/verify/forwarding.js';
import { parseTcpdump } from '../../src/verify/packets.js';
import { checkLeastConnection, checkPersistence, checkSourceHashing } from '../../src/verify/schedule.js';
import type { RequestResult } from '../../src/verify/types.js';

const seq = (client: string, ...servers: Array<string | null>): RequestResult[] => servers.map((server, index) => ({ index, client, server, body: '', curlExit: 0 }));

describe('source hashing, computed like ip_vs_sh.c', () => {
  it('hash_32 with the golden ratio, 8 bits', () => {
    // hash_32(0xAC160032, 8) = (0xAC160032 * 0x61C88647 mod 2^32) >> 24
    expect(shBucket('172.22.0.50')).toBe(Number((0xac160032n * 0x61c88647n) % 2n ** 32n >> 24n));
  });
  it('deals buckets to servers in kernel list order (the reverse of ipvsadm -a order), weight buckets each', () => {
    const servers = [{ name: 'rs1', weight: 1 }, { name: 'rs2', weight: 1 }];
    const b50 = shBucket('172.22.0.50');
    expect(shServerFor('172.22.0.50', servers)).toBe(b50 % 2 === 0 ? 'rs2' : 'rs1');
    expect(shServerFor('172.22.0.50', [{ name: 'rs1', weight: 0 }, { name: 'rs2', weight: 1 }])).toBe('rs2');
    // The built-in sh scenario's two clients hash to different servers.
    expect(shServerFor('172.22.0.50', servers)).not.toBe(shServerFor('172.22.0.52', servers));
  });
});

describe('scheduler properties beyond rr/wrr', () => {
  it('persistence: all on one server passes, a spread fails', () => {
    expect(checkPersistence(300, seq('client', 'rs1', 'rs1', 'rs1')).status).toBe('pass');
    expect(checkPersistence(300, seq('client', 'rs1', 'rs2', 'rs1')).diagnosis).toContain('persistent');
  });
  it('sh: each client sticks, on the hashed server', () => {
    expect(checkSourceHashing([
      { client: 'client1', expected: 'rs1', requests: seq('client1', 'rs1', 'rs1') },
      { client: 'client2', expected: 'rs2', requests: seq('client2', 'rs2', 'rs2') },
    ]).status).toBe('pass');
    const wrong = checkSourceHashing([{ client: 'client1', expected: 'rs1', requests: seq('client1', 'rs2', 'rs2') }]);
    expect(wrong.summary).toContain('client1 landed on rs2, the hash says rs1');
    expect(checkSourceHashing([{ client: 'c', expected: 'rs1', requests: seq('c', 'rs1', 'rs2') }]).summary).toContain('spread over');
  });
  it('lc: new connections avoid the busy server', () => {
    expect(checkLeastConnection('rs1', seq('client', 'rs2', 'rs2', 'rs2')).status).toBe('pass');
    expect(checkLeastConnection('rs1', seq('client', 'rs2', 'rs1', 'rs2')).status).toBe('fail');
    expect(checkLeastConnection(undefined, seq('client', 'rs2')).status).toBe('fail');
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
const line = (from: string, to: string, flags: string, outer = '') => `1.0 aa:00:00:00:00:01 > aa:00:00:00:00:11, ethertype IPv4 (0x0800), length 74: ${outer}${from} > ${to}: Flags [${flags}], length 0`;

describe('forwarding-method checks', () => {
  const stats = (outPkts: number) => parseStats(`TCP  192.168.100.150:80                     4       26       ${outPkts}     1680     2048\n`);
  it('director replies: NAT needs OutPkts > 0, DR/TUN need 0, each with the cause', () => {
    expect(checkDirectorReplies('nat', topo, stats(22)).status).toBe('pass');
    expect(checkDirectorReplies('nat', topo, stats(0)).diagnosis).toContain('gateway');
    expect(checkDirectorReplies('dr', topo, stats(0)).status).toBe('pass');
    expect(checkDirectorReplies('tun', topo, stats(5)).status).toBe('fail');
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
    const base = { server: 'rs1', checkInterval: 2, removedAfter: 3.2, during: seq('client', 'rs2', 'rs2'), restoredAfter: 2.5, after: seq('client', 'rs1', 'rs2') };
    const ok = checkFailover(base);
    expect(ok.status).toBe('pass');
    expect(ok.summary).toContain('removed 3.2 s after the stop, back 2.5 s after the start');
    expect(checkFailover({ ...base, removedAfter: undefined }).diagnosis).toContain('keepalived is not checking it');
    expect(checkFailover({ ...base, during: seq('client', 'rs1', null) }).status).toBe('fail');
    expect(checkFailover({ ...base, restoredAfter: undefined }).status).toBe('fail');
  });
});
