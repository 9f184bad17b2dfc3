import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROBE_LABEL } from '../../src/labels.js';
import { DockerRuntime, sleep } from '../../src/runtime/docker.js';
import { lab } from '../helpers/cli.js';
import { probeHostKind } from '../helpers/host-kind.js';
import { ensureHostImage } from '../helpers/image.js';
import { copyOfRrBasic } from '../helpers/scenario-copy.js';

// `lab doctor` (the built CLI) against the Docker host it finds: each check must say what that kind of
// host has (IPVS or not, --privileged allowed or refused), each failure with its fix, exit 3 only if one
// fails, and no probe container left behind.
const runtime = await DockerRuntime.connect();
const image = await ensureHostImage(runtime);
const host = await probeHostKind();

interface JsonCheck {
  id: string;
  title: string;
  status: 'pass' | 'warn' | 'fail' | 'skip';
  detail: string;
  fix: string | null;
}
const byId = (checks: JsonCheck[], id: string) => checks.find((c) => c.id === id)!;

/** Probes live a second or two; another test's doctor may be mid-probe, so give the list a moment to empty. */
async function probesLeft(): Promise<string[]> {
  let names: string[] = [];
  for (let i = 0; i < 25; i++) {
    names = (await runtime.listContainers({ key: PROBE_LABEL })).map((c) => c.name);
    if (names.length === 0) break;
    await sleep(200);
  }
  return names;
}

const rrBasicCopy = () => copyOfRrBasic('doc', 217).file;

afterAll(async () => {
  expect(await probesLeft()).toEqual([]);
}, 30_000);

const failing = [!host.ipvs && 'ipvs', !host.privileged && 'privileged'].filter(Boolean) as string[];

describe(`lab doctor on this host (${host.label})`, () => {
  it(`rr-basic: one table; IPVS ${host.ipvs ? 'PASS' : 'FAIL'}, privileged ${host.privileged ? 'PASS' : 'FAIL'}${failing.length ? ', each failure with its fix, exit 3' : ', exit 0'}`, async () => {
    const started = performance.now();
    const r = await lab(['doctor', rrBasicCopy()]);
    const seconds = (performance.now() - started) / 1000;
    process.stdout.write(`[doctor] lab doctor rr-basic: exit ${r.exitCode} in ${seconds.toFixed(1)} s\n${r.stdout}\n`);
    expect(r.exitCode, r.stderr).toBe(failing.length ? 3 : 0);
    expect(r.stdout).toMatch(/^check\s+status\s+detail\s+fix$/m);
    expect(r.stdout).toMatch(/^Docker engine\s+PASS\s+Docker \S+ \(API [\d.]+\), engine/m);
    expect(r.stdout).toContain(process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock');
    expect(r.stdout).toMatch(/^Lab images\s+PASS\s+lvs-lab\/debian:bookworm present/m);
    if (host.ipvs) expect(r.stdout).toMatch(/^IPVS in the kernel\s+PASS\s+ipvsadm -Ln works; scheduler rr loads/m);
    else {
      expect(r.stdout).toMatch(/^IPVS in the kernel\s+FAIL\s+The kernel under Docker has no IPVS/m);
      expect(r.stdout).toContain('`sudo modprobe ip_vs ip_vs_rr`'); // the fix in the table, whole
    }
    if (host.privileged) expect(r.stdout).toMatch(/^Privileged containers\s+PASS\s+privileged containers start/m);
    else {
      expect(r.stdout).toMatch(/^Privileged containers\s+FAIL\s+This Docker engine refuses privileged/m);
      expect(r.stdout).toContain('`--privilege capabilities`');
    }
    if (failing.length) expect(r.stdout).toContain(`${failing.length} check${failing.length > 1 ? 's' : ''} failed (${failing.join(', ')})`);
    else expect(r.stdout).toMatch(/checks passed|No check failed/);
    expect(await probesLeft()).toEqual([]);
  }, 180_000);

  it(`--json: the same as a document; with --privilege capabilities the privileged row ${host.privileged ? 'passes' : 'only warns'}`, async () => {
    const file = rrBasicCopy();
    const r = await lab(['doctor', file, '--json']);
    expect(r.exitCode, r.stderr).toBe(failing.length ? 3 : 0);
    const doc = JSON.parse(r.stdout) as { ok: boolean; checks: JsonCheck[] };
    expect(doc.ok).toBe(failing.length === 0);
    expect(doc.checks.map((c) => c.id)).toEqual(['docker', 'image', 'cgroup', 'ipvs', 'privileged', 'subnet', 'vip', 'names']);
    expect(byId(doc.checks, 'docker').status).toBe('pass');
    expect(byId(doc.checks, 'cgroup')).toMatchObject({ status: 'pass', detail: expect.stringMatching(/^cgroup v[12], driver /) });
    expect(byId(doc.checks, 'ipvs')).toMatchObject(
      host.ipvs
        ? { status: 'pass', fix: null }
        : { status: 'fail', detail: expect.stringContaining('Protocol not available'), fix: expect.stringContaining('sudo modprobe ip_vs ip_vs_rr') },
    );
    expect(byId(doc.checks, 'privileged')).toMatchObject(host.privileged ? { status: 'pass' } : { status: 'fail', fix: expect.stringContaining('--privilege capabilities') });

    const caps = JSON.parse((await lab(['doctor', file, '--json', '--privilege', 'capabilities'])).stdout) as { checks: JsonCheck[] };
    expect(byId(caps.checks, 'privileged').status).toBe(host.privileged ? 'pass' : 'warn');
    expect(byId(caps.checks, 'ipvs').status).toBe(host.ipvs ? 'pass' : 'fail');
  }, 180_000);

  it('no engine at DOCKER_HOST: exit 3, one failing docker row with the fix', async () => {
    const env = { DOCKER_HOST: 'unix:///nonexistent/docker.sock' };
    const r = await lab(['doctor', 'rr-basic'], { env });
    expect(r.exitCode).toBe(3);
    expect(r.stdout).toMatch(/^Docker engine\s+FAIL\s+No Docker engine answers at/m);
    expect(r.stdout).toContain('DOCKER_HOST');
    const doc = JSON.parse((await lab(['doctor', 'rr-basic', '--json'], { env })).stdout) as { ok: boolean; checks: JsonCheck[] };
    expect(doc.ok).toBe(false);
    expect(doc.checks).toHaveLength(1);
    expect(doc.checks[0]).toMatchObject({ id: 'docker', status: 'fail', detail: expect.stringContaining('unix:///nonexistent/docker.sock'), fix: expect.stringContaining('Start Docker') });
  });

  it('a subnet, the VIP and a name taken by something else: each fails, naming it', async () => {
    const id = randomBytes(3).toString('hex');
    const name = `dc${id}`;
    const net = `lvs-lab-doctor-it-${id}`;
    const dir = mkdtempSync(join(tmpdir(), 'lab-doctor-'));
    const file = join(dir, `${name}.yaml`);
    writeFileSync(
      file,
      [
        `name: ${name}`,
        'title: doctor clash test',
        'defaults: { privilege: minimal, init: none }',
        'networks: [{ name: dc_net, subnet: 10.219.0.0/16 }]',
        'service: { vip: 10.219.5.100 }',
        'nodes:',
        `  - { name: ${name}-lvs, role: director, address: 10.219.1.1 }`,
        `  - { name: ${name}-rs1, role: real-server, address: 10.219.1.10, page: rs1 }`,
        `  - { name: ${name}-client, role: client, address: 10.219.1.50 }`,
        '',
      ].join('\n'),
    );
    // A bystander: an internal network inside the scenario's subnet, and a container on it that holds the
    // VIP under one of the scenario's node names. Labelled as doctor's, removed in finally.
    try {
      await runtime.createNetwork({ name: net, subnet: '10.219.5.0/24', internal: true, labels: { [PROBE_LABEL]: '1' } });
      await runtime.runContainer({
        name: `${name}-rs1`,
        hostname: 'squatter',
        image,
        init: 'none',
        privilege: 'minimal',
        interfaces: [{ network: net, address: '10.219.5.100' }],
        sysctls: {},
        labels: { [PROBE_LABEL]: '1' },
      });
      const r = await lab(['doctor', file, '--json']);
      expect(r.exitCode, r.stderr).toBe(3);
      const doc = JSON.parse(r.stdout) as { checks: JsonCheck[] };
      expect(byId(doc.checks, 'subnet')).toMatchObject({ status: 'fail', detail: expect.stringContaining(`overlaps Docker network ${net} (10.219.5.0/24)`) });
      expect(byId(doc.checks, 'vip')).toMatchObject({ status: 'fail', detail: expect.stringContaining(`VIP 10.219.5.100 is already the address of container ${name}-rs1 on ${net}`) });
      expect(byId(doc.checks, 'names')).toMatchObject({ status: 'fail', detail: expect.stringContaining(`container ${name}-rs1 (not made by lab)`) });
      expect(byId(doc.checks, 'names').fix).toContain('lab never removes what it did not make');
    } finally {
      await runtime.removeContainer(`${name}-rs1`);
      await runtime.removeNetwork(net);
    }
    expect(await runtime.listNetworks({ key: PROBE_LABEL })).toEqual([]);
  }, 120_000);
});
