import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEBIAN_IMAGE } from '../../src/lab/images.js';
import { rootfsTar } from '../helpers/image.js';
import { CLI } from '../helpers/cli.js';
import { runInUml, umlAvailable, type GuestResult, type UmlRun } from '../uml/harness.js';

/**
 * The proof on a real kernel with IPVS: User-Mode Linux boots, dockerd starts inside it, the lab image
 * (built from Debian packages) is imported, and the built CLI runs the tutorial end to end.
 */
const lab = (name: string, ...args: string[]) => ({ name, argv: [process.execPath, CLI, ...args] });
// Straight to the engine's API with curl, independent of lab's own code: what is left with the lab label?
const leftovers = (kind: 'containers' | 'networks') => ({
  name: `leftover-${kind}`,
  argv: ['curl', '-s', '--unix-socket', '/var/run/docker.sock', '-G', `http://d/${kind}${kind === 'containers' ? '/json' : ''}`, '--data-urlencode', 'all=1', '--data-urlencode', 'filters={"label":["io.lvs-lab.lab"]}'],
});

let run: UmlRun;
// A host directory the guest may write to: the JUnit file and the kept captures land here.
const out = mkdtempSync(join(tmpdir(), 'lvs-lab-e2e-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));
const result = (name: string): GuestResult => {
  const r = run.results.find((x) => x.name === name);
  if (!r) throw new Error(`no result for ${name}`);
  return r;
};

beforeAll(async () => {
  const available = umlAvailable();
  if (!available.ok) throw new Error(`User-Mode Linux is needed for the real-kernel proof: ${available.reason} (.ci/run installs it)`);
  const tar = await rootfsTar();
  run = await runInUml({
    memory: '3G',
    hostMounts: [{ path: dirname(tar) }, { path: out, writable: true }],
    commands: [
      { ...lab('import', 'images', 'import', tar, '--tag', DEBIAN_IMAGE), stopOnFailure: true },
      { ...lab('up', 'up', 'rr-basic'), timeoutSeconds: 600 },
      lab('verify', 'verify', 'rr-basic', '--json', '--junit', join(out, 'rr-basic.junit.xml'), '--keep-captures', join(out, 'pcap')),
      lab('verify-12', 'verify', 'rr-basic', '--requests', '12'),
      lab('status', 'status', '--json'),
      lab('tutorial-ipvsadm-Lnc', 'exec', 'lvs', '--', 'ipvsadm', '-Lnc'),
      lab('tutorial-netstat-lvs', 'exec', 'lvs', '--', 'netstat', '-natp'),
      lab('tutorial-netstat-rs1', 'exec', 'rs1', '--', 'netstat', '-natp'),
      lab('teardown', 'teardown', 'rr-basic'),
      lab('teardown-again', 'teardown', 'rr-basic'),
      { ...lab('arp-problem-up', 'up', 'arp-problem', '--no-verify'), timeoutSeconds: 600 },
      lab('arp-problem-verify', 'verify', 'arp-problem', '--json', '--junit', join(out, 'arp-problem.junit.xml')),
      lab('arp-problem-verify-human', 'verify', 'arp-problem'),
      lab('arp-problem-teardown', 'teardown', 'arp-problem'),
      leftovers('containers'),
      leftovers('networks'),
    ],
  });
  process.stdout.write(`[uml] dockerd ready at ${run.dockerReadySeconds.toFixed(1)} s; whole run ${run.totalSeconds.toFixed(1)} s\n`);
  for (const r of run.results) process.stdout.write(`[uml] ${r.name}: exit ${r.exitCode} in ${r.seconds.toFixed(1)} s\n`);
}, 1_800_000);

describe('rr-basic on a real IPVS kernel (User-Mode Linux)', () => {
  it('imports the lab image built from Debian packages', () => {
    expect(result('import').exitCode).toBe(0);
  });

  it('`lab up rr-basic` runs every step of the tutorial and its verification passes', () => {
    const up = result('up');
    expect(up.exitCode, up.stderr).toBe(0);
    for (const cmd of [
      '[rs1] $ sysctl -w net.ipv4.conf.all.arp_ignore=1',
      '[rs1] $ ip addr add 172.20.1.100/32 dev lo label lo:1',
      '[rs2] $ systemctl start httpd',
      '[lvs] $ ip addr add 172.20.1.100/16 dev eth0 label eth0:1',
      '[lvs] $ ipvsadm -A -t 172.20.1.100:80 -s rr',
      '[lvs] $ ipvsadm -a -t 172.20.1.100:80 -r 172.20.1.11 -g',
    ]) expect(up.stderr).toContain(cmd);
    expect(up.stdout).toContain('PASS        Scheduling (rr: strict alternation)');
  });

  it('`lab verify` sees rs1 and rs2 alternate, and the director carries no replies (DR)', () => {
    const v = result('verify');
    expect(v.exitCode, v.stderr).toBe(0);
    const report = JSON.parse(v.stdout);
    const sequence: string[] = report.requests.map((r: { server: string }) => r.server);
    expect(sequence).toHaveLength(6);
    expect(new Set(sequence.slice(0, 2))).toEqual(new Set(['rs1', 'rs2']));
    sequence.forEach((s, i) => expect(s).toBe(sequence[i % 2]));
    expect(report.schema).toBe('lvs-lab/verify@1');
    expect(report.checks.map((c: { id: string; status: string }) => [c.id, c.status])).toEqual([
      ['arp', 'pass'],
      ['request-path', 'pass'],
      ['return-path', 'pass'],
      ['director-no-endpoint', 'pass'],
      ['scheduling', 'pass'],
    ]);
    const service = report.director.stats.services.find((s: { address: string }) => s.address === '172.20.1.100');
    expect(service.conns).toBeGreaterThanOrEqual(6);
    expect(service.outPkts).toBe(0);
    expect(report.director.connections.entries.length).toBeGreaterThanOrEqual(6);
    expect(report.director.connections.entries.every((c: { source: { address: string } }) => c.source.address === '172.20.1.50')).toBe(true);
    process.stdout.write(`[uml] request sequence: ${sequence.join(' ')}\n[uml] director stats:\n${report.director.stats.output}\n`);
  });

  it('packet evidence: the hop table of one connection is seed 004\'s (client -> lvs -> rsN -> client)', () => {
    const report = JSON.parse(result('verify').stdout);
    const hops = report.hops as Array<{ path: string; srcMac: string; dstMac: string; srcIp: string; dstIp: string }>;
    expect(hops).toHaveLength(3);
    expect(hops[0]).toMatchObject({ path: 'client -> lvs', srcIp: '172.20.1.50 (client)', dstIp: '172.20.1.100 (VIP)' });
    expect(hops[1]!.path).toMatch(/^lvs -> rs[12]$/);
    expect(hops[1]).toMatchObject({ srcIp: '172.20.1.50 (client)', dstIp: '172.20.1.100 (VIP)' });
    expect(hops[1]!.srcMac).toMatch(/\(lvs\)$/);
    expect(hops[2]!.path).toMatch(/^rs[12] -> client$/);
    expect(hops[2]).toMatchObject({ srcIp: '172.20.1.100 (VIP)', dstIp: '172.20.1.50 (client)' });
    expect(hops[2]!.srcMac).toMatch(/\(rs[12]\)$/);
  });

  it('--junit and --keep-captures write files a CI system and Wireshark can read', () => {
    const xml = new XMLParser({ ignoreAttributes: false }).parse(readFileSync(join(out, 'rr-basic.junit.xml'), 'utf8'));
    const suite = xml.testsuites.testsuite;
    expect(suite['@_tests']).toBe('5');
    expect(suite['@_failures']).toBe('0');
    expect(suite.testcase).toHaveLength(5);
    const pcaps = readdirSync(join(out, 'pcap')).sort();
    expect(pcaps).toEqual(['client-eth0.pcap', 'lvs-eth0.pcap', 'rs1-eth0.pcap', 'rs2-eth0.pcap']);
    for (const f of pcaps) expect(readFileSync(join(out, 'pcap', f)).readUInt32LE(0)).toBe(0xa1b2c3d4); // pcap magic
  });

  it('the human report prints the sequence and the director\'s tables', () => {
    const v = result('verify-12');
    expect(v.exitCode).toBe(0);
    expect(v.stdout).toMatch(/Sequence: (rs1 rs2 |rs2 rs1 ){5}(rs1 rs2|rs2 rs1)/);
    expect(v.stdout).toContain('Director: $ ipvsadm -Ln --stats');
    expect(v.stdout).toContain('IPVS connection entries');
  });

  it('status lists the running lab; the tutorial\'s own commands run through `lab exec`', () => {
    const labs = JSON.parse(result('status').stdout);
    expect(labs.map((l: { lab: string }) => l.lab)).toEqual(['rr-basic']);
    expect(result('tutorial-ipvsadm-Lnc').stdout).toMatch(/TCP\s+\S+\s+\w+\s+172\.20\.1\.50:\d+\s+172\.20\.1\.100:80\s+172\.20\.1\.1[01]:80/);
    // Seed 000's observation: the director holds no TCP connection for the VIP, the real server does.
    expect(result('tutorial-netstat-lvs').stdout).not.toMatch(/172\.20\.1\.100:80/);
    expect(result('tutorial-netstat-rs1').stdout).toMatch(/0\.0\.0\.0:80\s+0\.0\.0\.0:\*\s+LISTEN/);
  });

  it('arp-problem: verify fails on the ARP check, exit 1, naming the real servers and the sysctls', () => {
    expect(result('arp-problem-up').exitCode).toBe(0);
    const v = result('arp-problem-verify');
    expect(v.exitCode).toBe(1);
    const report = JSON.parse(v.stdout);
    const arp = report.checks.find((c: { id: string }) => c.id === 'arp');
    expect(arp.status).toBe('fail');
    expect(arp.summary).toMatch(/answered by .*rs1/);
    expect(arp.diagnosis).toMatch(/answer ARP for the VIP.*seed 004.*arp_ignore=1.*arp_announce=2/);
    const xml = new XMLParser({ ignoreAttributes: false }).parse(readFileSync(join(out, 'arp-problem.junit.xml'), 'utf8'));
    const failed = [xml.testsuites.testsuite.testcase].flat().filter((t: { failure?: unknown }) => t.failure);
    expect(failed.map((t: { '@_name': string }) => t['@_name'])).toContain('arp: ARP for the VIP 172.20.1.100 answered by the director only');
    const human = result('arp-problem-verify-human');
    expect(human.exitCode).toBe(1);
    expect(human.stdout).toMatch(/FAIL\s+ARP for the VIP/);
    expect(human.stdout).toContain('-> rs1 and rs2 answer ARP for the VIP');
    expect(result('arp-problem-teardown').exitCode).toBe(0);
  });

  it('`lab teardown` removes everything labelled, twice is fine, nothing labelled remains', () => {
    expect(result('teardown').exitCode).toBe(0);
    expect(result('teardown').stdout).toMatch(/^Removed 4 containers .* and 1 networks \(lvs_dr\)/);
    expect(result('teardown-again').stdout).toContain('Nothing to remove');
    expect(JSON.parse(result('leftover-containers').stdout)).toEqual([]);
    expect(JSON.parse(result('leftover-networks').stdout)).toEqual([]);
  });
});
