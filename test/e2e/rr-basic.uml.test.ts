import { dirname } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
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
    hostMounts: [{ path: dirname(tar) }],
    commands: [
      { ...lab('import', 'images', 'import', tar, '--tag', DEBIAN_IMAGE), stopOnFailure: true },
      { ...lab('up', 'up', 'rr-basic'), timeoutSeconds: 600 },
      lab('verify', 'verify', 'rr-basic', '--json'),
      lab('verify-12', 'verify', 'rr-basic', '--requests', '12'),
      lab('status', 'status', '--json'),
      lab('tutorial-ipvsadm-Lnc', 'exec', 'lvs', '--', 'ipvsadm', '-Lnc'),
      lab('tutorial-netstat-lvs', 'exec', 'lvs', '--', 'netstat', '-natp'),
      lab('tutorial-netstat-rs1', 'exec', 'rs1', '--', 'netstat', '-natp'),
      lab('teardown', 'teardown', 'rr-basic'),
      lab('teardown-again', 'teardown', 'rr-basic'),
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
    expect(report.checks).toEqual([expect.objectContaining({ id: 'scheduling', status: 'pass' })]);
    const service = report.director.stats.services.find((s: { address: string }) => s.address === '172.20.1.100');
    expect(service.conns).toBeGreaterThanOrEqual(6);
    expect(service.outPkts).toBe(0);
    expect(report.director.connections.entries.length).toBeGreaterThanOrEqual(6);
    expect(report.director.connections.entries.every((c: { source: { address: string } }) => c.source.address === '172.20.1.50')).toBe(true);
    process.stdout.write(`[uml] request sequence: ${sequence.join(' ')}\n[uml] director stats:\n${report.director.stats.output}\n`);
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

  it('`lab teardown` removes everything labelled, twice is fine, nothing labelled remains', () => {
    expect(result('teardown').exitCode).toBe(0);
    expect(result('teardown').stdout).toMatch(/^Removed 4 containers .* and 1 networks \(lvs_dr\)/);
    expect(result('teardown-again').stdout).toContain('Nothing to remove');
    expect(JSON.parse(result('leftover-containers').stdout)).toEqual([]);
    expect(JSON.parse(result('leftover-networks').stdout)).toEqual([]);
  });
});
