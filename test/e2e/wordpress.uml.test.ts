import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildWordpressRootfs } from '../../src/lab/images.js';
import { CLI } from '../helpers/cli.js';
import { DEFAULT_MODULES, runInUml, umlAvailable, type GuestResult, type UmlRun } from '../uml/harness.js';

/**
 * Seed 003's WordPress cluster and seed 004's nginx real servers on a real kernel: User-Mode Linux with IPVS,
 * the kernel's NFS server (nfsd) and client (nfsv4), a dockerd inside. `up wordpress` imports the image built
 * from Debian packages, runs the seed's setup and installs WordPress through the VIP; verify proves the DR
 * path and the application (shared database, shared files, one real server down); then seed 004's lab.
 */
const lab = (name: string, ...args: string[]) => ({ name, argv: [process.execPath, CLI, ...args] });
const leftovers = {
  name: 'leftovers',
  argv: ['curl', '-s', '--unix-socket', '/var/run/docker.sock', '-G', 'http://d/containers/json', '--data-urlencode', 'all=1', '--data-urlencode', 'filters={"label":["io.lvs-lab.lab"]}'],
};

let run: UmlRun;
let imageMb: number;
const result = (name: string): GuestResult => {
  const r = run.results.find((x) => x.name === name);
  if (!r) throw new Error(`no result for ${name}`);
  return r;
};
const report = (name: string) => JSON.parse(result(name).stdout) as { ok: boolean; checks: Array<{ id: string; status: string; summary: string }> };
const statusOf = (name: string) => Object.fromEntries(report(name).checks.map((c) => [c.id, c.status]));

beforeAll(async () => {
  const available = umlAvailable();
  if (!available.ok) throw new Error(`User-Mode Linux is needed for the real-kernel proof: ${available.reason} (.ci/run installs it)`);
  const tar = await buildWordpressRootfs({ onLine: (line) => process.stderr.write(`[image] ${line}\n`) });
  imageMb = Math.round(statSync(tar).size / 2 ** 20);
  run = await runInUml({
    memory: '4G',
    dockerTmpfs: '3G',
    modules: [...DEFAULT_MODULES, 'nfsd', 'nfsv4'],
    timeoutSeconds: 1800,
    hostMounts: [{ path: dirname(tar) }],
    commands: [
      // No image in the guest's fresh dockerd: `up` finds the cached tarball and imports it.
      { ...lab('up', 'up', 'wordpress', '--no-verify'), timeoutSeconds: 1200, stopOnFailure: true },
      lab('verify', 'verify', 'wordpress', '--json'),
      lab('verify-human', 'verify', 'wordpress'),
      lab('table', 'exec', 'lvs', '--', 'ipvsadm', '-Ln'),
      lab('teardown', 'teardown', 'wordpress'),
      { ...lab('nginx-dr:up', 'up', 'nginx-dr', '--no-verify'), timeoutSeconds: 600 },
      lab('nginx-dr:verify', 'verify', 'nginx-dr', '--json'),
      lab('nginx-dr:director', 'exec', 'lvs', '--', 'sh', '-c', 'ip -4 addr show dev eth0; ip route show 192.168.188.120; ipvsadm -Ln'),
      lab('nginx-dr:teardown', 'teardown', 'nginx-dr'),
      leftovers,
      { name: 'images', argv: ['curl', '-s', '--unix-socket', '/var/run/docker.sock', 'http://d/images/json'] },
    ],
  });
  for (const r of run.results) process.stdout.write(`[uml] ${r.name}: exit ${r.exitCode} in ${r.seconds.toFixed(1)} s\n`);
  const listed = JSON.parse(result('images').stdout) as Array<{ RepoTags: string[] | null; Size: number }>;
  const images = listed.map((i) => `${i.RepoTags?.[0] ?? '?'} ${Math.round(i.Size / 1e6)} MB`).join(', ');
  process.stdout.write(`[figures] wordpress image tarball ${imageMb} MB; images in the guest: ${images}; ` +
    `up wordpress ${result('up').seconds.toFixed(1)} s in UML (image import included); ` +
    `verify ${result('verify').seconds.toFixed(1)} s; nginx-dr up ${result('nginx-dr:up').seconds.toFixed(1)} s\n`);
}, 2_400_000);

describe('seed 003: WordPress on NFS and MySQL behind LVS-DR (real kernel)', () => {
  it('`up wordpress` runs the seed\'s setup and installs WordPress through the VIP', () => {
    const up = result('up');
    expect(up.exitCode, up.stderr.slice(-3000)).toBe(0);
  });

  it('verify passes every DR check and every application check', () => {
    const v = result('verify');
    expect(v.exitCode, v.stdout.slice(-3000) + v.stderr.slice(-2000)).toBe(0);
    const status = statusOf('verify');
    for (const id of ['arp', 'request-path', 'return-path', 'director-no-endpoint', 'scheduling', 'app-vip', 'app-database', 'app-files', 'app-one-down']) {
      expect(status[id], `${id}: ${JSON.stringify(report('verify').checks.find((c) => c.id === id))}`).toBe('pass');
    }
    expect(report('verify').checks.find((c) => c.id === 'app-database')!.summary).toMatch(/read through rs1 \(172\.16\.0\.32\) and rs2 \(172\.16\.0\.33\)/);
    expect(result('verify-human').stdout).toMatch(/PASS.*shared NFS/);
  });

  it('the director is back to both real servers after the one-down check', () => {
    expect(result('table').stdout).toMatch(/172\.16\.0\.32:80\s+Route\s+1/);
    expect(result('table').stdout).toMatch(/172\.16\.0\.33:80\s+Route\s+2/);
  });
});

describe('seed 004: nginx real servers, lvs_dr.sh\'s shape (real kernel)', () => {
  it('the director has the VIP as /32 on eth0:2 with a host route, and a table of wrr 1:1', () => {
    expect(result('nginx-dr:up').exitCode, result('nginx-dr:up').stderr.slice(-3000)).toBe(0);
    const dir = result('nginx-dr:director').stdout;
    expect(dir).toMatch(/inet 192\.168\.188\.120\/32 .*eth0:2/);
    expect(dir).toMatch(/192\.168\.188\.120 dev eth0/);
    expect(dir).toMatch(/192\.168\.188\.120:80 wrr/);
  });

  it('verify proves DR and wrr 1:1 with nginx answering', () => {
    const v = result('nginx-dr:verify');
    expect(v.exitCode, v.stdout.slice(-3000)).toBe(0);
    const status = statusOf('nginx-dr:verify');
    for (const id of ['arp', 'request-path', 'return-path', 'director-no-endpoint', 'scheduling']) expect(status[id], id).toBe('pass');
  });

  it('teardown leaves nothing labelled', () => {
    expect(result('teardown').exitCode).toBe(0);
    expect(result('nginx-dr:teardown').exitCode).toBe(0);
    expect(JSON.parse(result('leftovers').stdout)).toEqual([]);
  });
});
