import { describe, expect, it } from 'vitest';
import {
  checkArpOwnership, checkNoDirectorEndpoint, checkRequestPath, checkReturnPath, clientPorts, formatHopTable, hopTable,
} from '../../src/verify/dr.js';
import type { Captures, Topology } from '../../src/verify/evidence.js';
import { connectionHops } from '../../src/verify/forwarding.js';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { toJUnit } from '../../src/verify/junit.js';
import { parseArpingReplies, parseTcpdump, tcpSocketsOn } from '../../src/verify/packets.js';
import { parseConnections } from '../../src/lvs/parse.js';
import { reportWith, tcpdumpLine } from '../helpers/verify-fixtures.js';

const MAC = { client: '02:42:ac:14:01:32', lvs: '02:42:ac:14:01:01', rs1: '02:42:ac:14:01:0a', rs2: '02:42:ac:14:01:0b' };
const topo: Topology = {
  vip: '172.20.1.100',
  port: 80,
  client: { name: 'client', ip: '172.20.1.50', mac: MAC.client },
  clientIps: ['172.20.1.50'],
  director: { name: 'lvs', ip: '172.20.1.1', mac: MAC.lvs },
  realServers: [
    { name: 'rs1', ip: '172.20.1.10', mac: MAC.rs1, port: 80 },
    { name: 'rs2', ip: '172.20.1.11', mac: MAC.rs2, port: 80 },
  ],
};

// What tcpdump -e -n -tt prints on each node for one DR connection to rs1 (seed 004's three hops).
const CLIENT = [tcpdumpLine(MAC.client, MAC.lvs, '172.20.1.50.43242', '172.20.1.100.80', 'S'), tcpdumpLine(MAC.rs1, MAC.client, '172.20.1.100.80', '172.20.1.50.43242', 'S.')].join('\n');
const DIRECTOR = [tcpdumpLine(MAC.client, MAC.lvs, '172.20.1.50.43242', '172.20.1.100.80', 'S'), tcpdumpLine(MAC.lvs, MAC.rs1, '172.20.1.50.43242', '172.20.1.100.80', 'S')].join('\n');
const RS1 = [tcpdumpLine(MAC.lvs, MAC.rs1, '172.20.1.50.43242', '172.20.1.100.80', 'S'), tcpdumpLine(MAC.rs1, MAC.client, '172.20.1.100.80', '172.20.1.50.43242', 'S.')].join('\n');
const dr = (over: Partial<Record<'client' | 'director' | 'rs1', string>> = {}): Captures => ({
  client: parseTcpdump(over.client ?? CLIENT),
  director: parseTcpdump(over.director ?? DIRECTOR),
  realServers: { rs1: parseTcpdump(over.rs1 ?? RS1), rs2: [] },
});

describe('packet tool parsers', () => {
  it('arping: every MAC that answered, once', () => {
    const out = 'ARPING 172.20.1.100 from 172.20.1.50 eth0\nUnicast reply from 172.20.1.100 [02:42:AC:14:01:0A]  0.623ms\nUnicast reply from 172.20.1.100 [02:42:AC:14:01:01]  0.746ms\nUnicast reply from 172.20.1.100 [02:42:AC:14:01:01]  0.5ms\nSent 3 probes\n';
    expect(parseArpingReplies(out)).toEqual([MAC.rs1, MAC.lvs]);
  });
  it('tcpdump -e -n -tt: MACs, addresses, ports, flags; IPIP keeps the outer header', () => {
    expect(parseTcpdump(CLIENT)[1]).toEqual({ time: 1795426736.920128, srcMac: MAC.rs1, dstMac: MAC.client, srcIp: '172.20.1.100', srcPort: 80, dstIp: '172.20.1.50', dstPort: 43242, flags: 'S.' });
    const ipip = `1.5 ${MAC.lvs} > ${MAC.rs1}, ethertype IPv4 (0x0800), length 94: 172.20.1.1 > 172.20.1.10: 172.20.1.50.43242 > 172.20.1.100.80: Flags [S], seq 1, length 0`;
    expect(parseTcpdump(ipip)[0]).toMatchObject({ outer: { srcIp: '172.20.1.1', dstIp: '172.20.1.10' }, srcIp: '172.20.1.50', dstIp: '172.20.1.100' });
    expect(parseTcpdump('tcpdump: listening on eth0\n3 packets captured')).toEqual([]);
  });
  it('netstat: sockets on an address:port', () => {
    const out = 'Proto Recv-Q Send-Q Local Address           Foreign Address         State\ntcp        0      0 127.0.0.11:44753        0.0.0.0:*               LISTEN\ntcp        0      0 172.20.1.100:80         172.20.1.50:4000        ESTABLISHED\n';
    expect(tcpSocketsOn(out, '172.20.1.100', 80)).toHaveLength(1);
    expect(tcpSocketsOn(out, '172.20.1.1', 80)).toEqual([]);
  });
});

describe('direct-routing checks', () => {
  it('ARP: only the director answering passes; a real server answering fails with the seed 004 diagnosis', () => {
    expect(checkArpOwnership(topo, [MAC.lvs]).status).toBe('pass');
    const bad = checkArpOwnership(topo, [MAC.rs1, MAC.lvs, MAC.rs2]);
    expect(bad.status).toBe('fail');
    expect(bad.summary).toContain('answered by rs1, lvs, rs2');
    expect(bad.diagnosis).toMatch(/^rs1 and rs2 answer ARP for the VIP.*seed 004.*arp_ignore=1/);
    expect(checkArpOwnership(topo, []).diagnosis).toContain('has no VIP');
  });
  it('request path: the real server sees the client\'s IP, the VIP, the director\'s MAC', () => {
    expect(checkRequestPath(topo, dr()).status).toBe('pass');
    const direct = checkRequestPath(topo, dr({ rs1: tcpdumpLine(MAC.client, MAC.rs1, '172.20.1.50.43242', '172.20.1.100.80', 'S') }));
    expect(direct.status).toBe('fail');
    expect(direct.diagnosis).toContain('answers ARP for the VIP');
    const natted = checkRequestPath(topo, dr({ rs1: tcpdumpLine(MAC.lvs, MAC.rs1, '172.20.1.1.5000', '172.20.1.100.80', 'S') }));
    expect(natted.summary).toContain('source rewritten');
    expect(checkRequestPath(topo, dr({ rs1: '' })).status).toBe('fail');
  });
  it('return path: nothing from the VIP leaves the director; replies carry a real server\'s MAC', () => {
    expect(checkReturnPath(topo, dr()).status).toBe('pass');
    const viaDirector = dr({
      director: DIRECTOR + '\n' + tcpdumpLine(MAC.lvs, MAC.client, '172.20.1.100.80', '172.20.1.50.43242', 'S.'),
      client: tcpdumpLine(MAC.lvs, MAC.client, '172.20.1.100.80', '172.20.1.50.43242', 'S.'),
    });
    const r = checkReturnPath(topo, viaDirector);
    expect(r.status).toBe('fail');
    expect(r.diagnosis).toContain('NAT behaviour');
  });
  it('no endpoint on the director while IPVS tracks the connections', () => {
    const conns = parseConnections('TCP 01:56  FIN_WAIT    172.20.1.50:43242  172.20.1.100:80    172.20.1.10:80\n');
    expect(checkNoDirectorEndpoint(topo, [], conns).status).toBe('pass');
    expect(checkNoDirectorEndpoint(topo, [], []).status).toBe('fail');
    expect(checkNoDirectorEndpoint(topo, ['tcp 0 0 172.20.1.100:80 0.0.0.0:* LISTEN'], conns).diagnosis).toContain('listens on the VIP');
  });
  it('the hop table names every address, as in seed 004', () => {
    const hops = hopTable(topo, dr())!;
    expect(hops.map((h) => [h.path, h.srcMac, h.dstMac, h.srcIp, h.dstIp])).toEqual([
      ['client -> lvs', `${MAC.client} (client)`, `${MAC.lvs} (lvs)`, '172.20.1.50 (client)', '172.20.1.100 (VIP)'],
      ['lvs -> rs1', `${MAC.lvs} (lvs)`, `${MAC.rs1} (rs1)`, '172.20.1.50 (client)', '172.20.1.100 (VIP)'],
      ['rs1 -> client', `${MAC.rs1} (rs1)`, `${MAC.client} (client)`, '172.20.1.100 (VIP)', '172.20.1.50 (client)'],
    ]);
    expect(formatHopTable(hops).split('\n')).toHaveLength(4);
  });
});

describe('hop tables of NAT and TUN, and of a chosen connection', () => {
  it('NAT: four hops, the destination rewritten to the real server and its port, the reply back via the director', () => {
    const lvsInner = '02:42:ac:10:64:0a';
    const nat: Topology = {
      ...topo, vip: '192.168.100.150', client: { ...topo.client, ip: '192.168.100.50' }, clientIps: ['192.168.100.50'],
      director: { name: 'lvs', ip: '192.168.100.155', mac: MAC.lvs, macs: [MAC.lvs, lvsInner] },
      realServers: [{ name: 'rs1', ip: '172.16.100.11', mac: MAC.rs1, port: 8080 }],
    };
    const captures: Captures = {
      client: parseTcpdump([tcpdumpLine(MAC.client, MAC.lvs, '192.168.100.50.40000', '192.168.100.150.80', 'S'), tcpdumpLine(MAC.lvs, MAC.client, '192.168.100.150.80', '192.168.100.50.40000', 'S.')].join('\n')),
      director: [],
      realServers: { rs1: parseTcpdump([tcpdumpLine(lvsInner, MAC.rs1, '192.168.100.50.40000', '172.16.100.11.8080', 'S'), tcpdumpLine(MAC.rs1, lvsInner, '172.16.100.11.8080', '192.168.100.50.40000', 'S.')].join('\n')) },
    };
    expect(connectionHops('nat', nat, captures)!.map((h) => [h.path, h.srcMac, h.srcIp, h.dstIp])).toEqual([
      ['client -> lvs', `${MAC.client} (client)`, '192.168.100.50 (client)', '192.168.100.150 (VIP)'],
      ['lvs -> rs1', `${lvsInner} (lvs)`, '192.168.100.50 (client)', '172.16.100.11 (rs1)'],
      ['rs1 -> lvs', `${MAC.rs1} (rs1)`, '172.16.100.11 (rs1)', '192.168.100.50 (client)'],
      ['lvs -> client', `${MAC.lvs} (lvs)`, '192.168.100.150 (VIP)', '192.168.100.50 (client)'],
    ]);
  });

  it('TUN: the second hop keeps its IPIP header, director -> real server; the table gets the IPIP columns', () => {
    const wrapped = tcpdumpLine(MAC.lvs, MAC.rs1, '172.20.1.50.43242', '172.20.1.100.80', 'S').replace('length 74: ', 'length 94: 172.20.1.1 > 172.20.1.10: ');
    const hops = connectionHops('tun', topo, dr({ rs1: wrapped }))!;
    expect(hops.map((h) => [h.path, h.outerSrcIp, h.outerDstIp])).toEqual([
      ['client -> lvs', undefined, undefined], ['lvs -> rs1', '172.20.1.1 (lvs)', '172.20.1.10 (rs1)'], ['rs1 -> client', undefined, undefined],
    ]);
    expect(formatHopTable(hops).split('\n')[0]).toContain('IPIP src');
  });

  it('each connection by its client port, in the order the client opened them', () => {
    const second = tcpdumpLine(MAC.client, MAC.lvs, '172.20.1.50.43250', '172.20.1.100.80', 'S').replace('1795426736.920128', '1795426737.1');
    const captures = dr({ client: `${CLIENT}\n${second}\n${second}`, rs1: `${RS1}\n${tcpdumpLine(MAC.lvs, MAC.rs1, '172.20.1.50.43250', '172.20.1.100.80', 'S')}` });
    expect(clientPorts(topo, captures)).toEqual([43242, 43250]);
    expect(hopTable(topo, captures, 43250)!.map((h) => h.path)).toEqual(['client -> lvs', 'lvs -> rs1']);
  });
});

describe('JUnit reporter', () => {
  it('one testcase per check: failure with diagnosis, skipped for not-checked, well-formed escapes', () => {
    const report = reportWith({
      lab: 'arp-problem',
      checks: [
        { id: 'arp', title: 'ARP <VIP>', status: 'fail', summary: 'answered by rs1 & lvs', diagnosis: 'rs1 answers "ARP"' },
        { id: 'scheduling', title: 'Scheduling (lc)', status: 'not-checked', summary: 'no check' },
        { id: 'return-path', title: 'Return path', status: 'pass', summary: 'ok' },
      ],
      seconds: 12.5,
    });
    const xml = toJUnit(report);
    expect(xml).toContain('<testsuites name="lab verify" tests="3" failures="1" skipped="1" time="12.500">');
    expect(xml).toContain('<failure message="answered by rs1 &amp; lvs">rs1 answers &quot;ARP&quot;</failure>');
    expect(xml).toContain('name="arp: ARP &lt;VIP&gt;"');
    expect(xml).toContain('<skipped message="no check"/>');
    expect((xml.match(/<testcase /g) ?? []).length).toBe(3);
  });

  it('is valid XML 1.0 when a message carries terminal colours and control characters, with times in seconds', () => {
    const report = reportWith({
      lab: 'rr-basic',
      checks: [
        { id: 'scheduling', title: 'Scheduling (rr)', status: 'fail', summary: 'got \x1b[31mrs1 rs1\x1b[0m', diagnosis: 'curl said \x07\x00bell\x1b]0;title\x07 & stopped\r\n' },
        { id: 'arp', title: 'ARP\x1b[1m', status: 'pass', summary: 'tab\tkept' },
      ],
      seconds: 7.25,
    });
    const xml = toJUnit(report);
    // fast-xml-parser checks structure but not XML 1.0's Char production, so that is checked here.
    expect(xml).not.toMatch(/[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u);
    expect(XMLValidator.validate(xml)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml);
    const suite = doc.testsuites.testsuite;
    expect(doc.testsuites.time).toBe('7.250');
    expect(suite.time).toBe('7.250');
    const [scheduling, arp] = suite.testcase;
    expect(scheduling.time).toBe('0');
    expect(scheduling.failure.message).toBe('got rs1 rs1');
    expect(scheduling.failure['#text']).toBe('curl said bell & stopped');
    expect(arp.name).toBe('arp: ARP');
    expect(arp['system-out']).toBe('tab\tkept');
  });
});
