import { describe, expect, it } from 'vitest';
import { addRealServer, addService, deleteRealServer, NO_IPVS_PATTERN } from '../../src/lvs/ipvsadm.js';
import { parseConnections, parseList, parseStats } from '../../src/lvs/parse.js';

// Output captured from ipvsadm 1.31 on the UML kernel (shared/kernel-sandbox sample outputs).
const LIST = `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  172.20.1.100:80 rr
  -> 172.20.1.10:80               Route   1      0          3         
  -> 172.20.1.11:80               Route   1      2          0         
TCP  10.0.0.100:80 wrr persistent 30
  -> 192.168.50.10:8080           Masq    2      0          0         
`;

const STATS = `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes
  -> RemoteAddress:Port
TCP  172.20.1.100:80                     6       41        0     2630        0
  -> 172.20.1.10:80                      3       20        0     1289        0
  -> 172.20.1.11:80                      3       21        0     1341        0
TCP  10.0.0.100:80                       4       26       22   12345K        2048
`;

const CONNS = `IPVS connection entries
pro expire state       source             virtual            destination
TCP 01:56  FIN_WAIT    172.20.1.50:43242  172.20.1.100:80    172.20.1.10:80
TCP 01:56  FIN_WAIT    172.20.1.50:43218  172.20.1.100:80    172.20.1.11:80
`;

describe('ipvsadm builders', () => {
  const service = { protocol: 'tcp' as const, vip: '172.20.1.100', port: 80, scheduler: 'rr' as const };
  it('build the tutorial\'s commands', () => {
    expect(addService(service).join(' ')).toBe('ipvsadm -A -t 172.20.1.100:80 -s rr');
    expect(addRealServer(service, { address: '172.20.1.10', port: 80, forwarding: 'dr', weight: 1 }).join(' ')).toBe('ipvsadm -a -t 172.20.1.100:80 -r 172.20.1.10 -g');
  });
  it('add weights, persistence, port mapping, tunneling and UDP when asked', () => {
    expect(addService({ ...service, scheduler: 'wrr', persistence: 30 }).join(' ')).toBe('ipvsadm -A -t 172.20.1.100:80 -s wrr -p 30');
    expect(addRealServer(service, { address: '10.0.0.10', port: 8080, forwarding: 'nat', weight: 2 }).join(' ')).toBe('ipvsadm -a -t 172.20.1.100:80 -r 10.0.0.10:8080 -m -w 2');
    expect(addRealServer({ ...service, protocol: 'udp' }, { address: '10.0.0.10', port: 80, forwarding: 'tun', weight: 1 }).join(' ')).toBe('ipvsadm -a -u 172.20.1.100:80 -r 10.0.0.10 -i');
    expect(deleteRealServer(service, { address: '172.20.1.10', port: 80 }).join(' ')).toBe('ipvsadm -d -t 172.20.1.100:80 -r 172.20.1.10');
  });
  it('recognise a kernel without IPVS', () => {
    expect(NO_IPVS_PATTERN.test("Can't initialize ipvs: Protocol not available\nAre you sure that IP Virtual Server is built in the kernel or as module?")).toBe(true);
    expect(NO_IPVS_PATTERN.test('Memory allocation problem')).toBe(false);
  });
});

describe('ipvsadm parsers', () => {
  it('parse -Ln', () => {
    const services = parseList(LIST);
    expect(services).toHaveLength(2);
    expect(services[0]).toMatchObject({ protocol: 'TCP', vip: '172.20.1.100', port: 80, scheduler: 'rr', flags: '' });
    expect(services[0]!.realServers).toEqual([
      { address: '172.20.1.10', port: 80, forward: 'Route', weight: 1, activeConn: 0, inactConn: 3 },
      { address: '172.20.1.11', port: 80, forward: 'Route', weight: 1, activeConn: 2, inactConn: 0 },
    ]);
    expect(services[1]).toMatchObject({ scheduler: 'wrr', flags: 'persistent 30' });
    expect(services[1]!.realServers[0]).toMatchObject({ port: 8080, forward: 'Masq', weight: 2 });
  });
  it('parse --stats, including abbreviated counters', () => {
    const stats = parseStats(STATS);
    expect(stats[0]).toMatchObject({ address: '172.20.1.100', port: 80, conns: 6, inPkts: 41, outPkts: 0 });
    expect(stats[0]!.realServers.map((r) => [r.address, r.conns])).toEqual([['172.20.1.10', 3], ['172.20.1.11', 3]]);
    expect(stats[1]).toMatchObject({ outPkts: 22, inBytes: 12_345_000 });
  });
  it('parse -Lnc', () => {
    const conns = parseConnections(CONNS);
    expect(conns).toHaveLength(2);
    expect(conns[0]).toEqual({
      protocol: 'TCP', expire: '01:56', state: 'FIN_WAIT',
      source: { address: '172.20.1.50', port: 43242 }, virtual: { address: '172.20.1.100', port: 80 }, destination: { address: '172.20.1.10', port: 80 },
    });
  });
  it('return nothing for empty tables', () => {
    expect(parseList('IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Scheduler Flags\n')).toEqual([]);
    expect(parseConnections('IPVS connection entries\npro expire state       source             virtual            destination\n')).toEqual([]);
  });
});
