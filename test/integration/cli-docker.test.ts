import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { LABEL } from '../../src/lab/labels.js';
import { DockerRuntime } from '../../src/runtime/docker.js';
import { lab } from '../helpers/cli.js';
import { ensureHostImage, rootfsTar } from '../helpers/image.js';

// The built CLI against the host's real dockerd. This kernel has no IPVS and refuses --privileged,
// so these are the failure paths a student meets on such a machine, each with its fix.
let runtime: DockerRuntime;

const labelled = async () => ({
  containers: await runtime.listContainers({ key: LABEL.lab, value: 'rr-basic' }),
  networks: await runtime.listNetworks({ key: LABEL.lab, value: 'rr-basic' }),
});

beforeAll(async () => {
  runtime = await DockerRuntime.connect();
  await ensureHostImage(runtime);
  await lab(['teardown', 'rr-basic']);
}, 300_000);

describe('lab images', () => {
  it('`lab images import TAR --tag` makes an image from the Debian-packages tarball', async () => {
    const tag = 'lvs-lab/import-test:cli';
    const r = await lab(['images', 'import', await rootfsTar(), '--tag', tag], { timeoutMs: 180_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(await runtime.imageExists(tag)).toBe(true);
    await runtime.docker.getImage(tag).remove();
    const missing = await lab(['images', 'import', '/nonexistent.tar']);
    expect(missing.exitCode).toBe(3);
    expect(missing.stderr).toContain('lab images build --offline');
  }, 200_000);
});

describe('lab up rr-basic on an engine without IPVS', () => {
  it('`up` runs the doctor checks first: IPVS missing and privileged refused, each with its fix, nothing made', async () => {
    const r = await lab(['up', 'rr-basic']);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain('Checking the environment');
    expect(r.stderr).toContain('modprobe ip_vs ip_vs_rr');
    expect(r.stderr).toContain('--privilege capabilities');
    expect(r.stderr).not.toContain('$ docker network create');
    expect(await labelled()).toEqual({ containers: [], networks: [] });
  }, 120_000);

  it('--privilege auto --init auto: picks capabilities (privileged is refused here) with a warning, keeps systemd', async () => {
    const r = await lab(['up', 'rr-basic', '--privilege', 'auto', '--init', 'auto']);
    expect(r.stderr).toContain('warning: privilege auto: this engine refuses --privileged; using the capabilities profile.');
    // The doctor checks then stop it on the missing IPVS only: capabilities are accepted.
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain('modprobe ip_vs ip_vs_rr');
    expect(r.stderr).not.toContain('--privilege capabilities` (every');
    const dry = await lab(['up', 'rr-basic', '--privilege', 'auto', '--dry-run']);
    expect(dry.stdout).toContain('auto settings shown as privileged + systemd');
    expect(await labelled()).toEqual({ containers: [], networks: [] });
  }, 120_000);

  it('with the checks skipped, refused --privileged is caught at the first container: exit 3, the fix, nothing left', async () => {
    const r = await lab(['up', 'rr-basic', '--no-doctor']);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain('refuses privileged containers');
    expect(r.stderr).toContain('fix: Run with `--privilege capabilities`');
    expect(await labelled()).toEqual({ containers: [], networks: [] });
  }, 120_000);

  it('with the checks skipped, a director whose kernel lacks IPVS: exit 3 with the modprobe fix, after systemd booted, nothing left', async () => {
    const r = await lab(['up', 'rr-basic', '--privilege', 'capabilities', '--no-doctor']);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain('[lvs] $ ipvsadm -Ln');
    expect(r.stderr).toContain('error: The kernel under Docker has no IPVS');
    expect(r.stderr).toContain('fix: On the Docker host run `sudo modprobe ip_vs ip_vs_rr`');
    expect(await labelled()).toEqual({ containers: [], networks: [] });
  }, 240_000);

  it('--json reports the same as a document', async () => {
    const r = await lab(['up', 'rr-basic', '--privilege', 'minimal', '--init', 'none', '--json']);
    expect(r.exitCode).toBe(3);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ ok: false, error: { exitCode: 3 } });
    expect(doc.error.hint).toContain('modprobe ip_vs ip_vs_rr');
  }, 120_000);

  it('--keep-on-failure keeps the lab: status, exec with exit code passed through, teardown twice', async () => {
    const up = await lab(['up', 'rr-basic', '--privilege', 'minimal', '--init', 'none', '--keep-on-failure', '--no-doctor']);
    expect(up.exitCode).toBe(3);
    const status = await lab(['status', '--json']);
    const labs = JSON.parse(status.stdout).labs;
    expect(labs).toHaveLength(1);
    expect(labs[0].nodes.map((n: { node: string; addresses: Record<string, string> }) => [n.node, n.addresses.lvs_dr])).toEqual([
      ['client', '172.20.1.50'],
      ['lvs', '172.20.1.1'],
      ['rs1', '172.20.1.10'],
      ['rs2', '172.20.1.11'],
    ]);
    const exec = await lab(['exec', 'rs1', '--', 'sh', '-c', 'hostname; exit 5']);
    expect(exec).toMatchObject({ exitCode: 5, stdout: 'rs1\n' });
    expect((await lab(['exec', 'nosuchnode', '--', 'true'])).exitCode).toBe(2);
    // `lab capture`: traffic between the lab's own containers, saved as a pcap and printed as text.
    const pcap = join(mkdtempSync(join(tmpdir(), 'lab-capture-')), 'rs1.pcap');
    const [saved, printed] = await Promise.all([
      lab(['capture', 'rs1', '-w', pcap, '-c', '2', '--seconds', '20', '-f', 'icmp']),
      lab(['capture', 'rs1', '-c', '2', '--seconds', '20', '-f', 'icmp']),
      new Promise((r) => setTimeout(r, 2500)).then(() => lab(['exec', 'client', '--', 'ping', '-c', '4', '-i', '0.5', '172.20.1.10'])),
    ]);
    expect(saved.exitCode, saved.stderr).toBe(0);
    expect(readFileSync(pcap).readUInt32LE(0)).toBe(0xa1b2c3d4);
    expect(readFileSync(pcap).length).toBeGreaterThan(24 + 2 * 16);
    expect(printed.stdout).toMatch(/172\.20\.1\.50 > 172\.20\.1\.10: ICMP echo request/);
    // Another `up` of the same lab is refused, not half-made.
    const again = await lab(['up', 'rr-basic', '--privilege', 'minimal', '--init', 'none', '--no-doctor']);
    expect(again.exitCode).toBe(3);
    expect(again.stderr).toContain('Lab rr-basic is already up');
    const down = await lab(['teardown', 'rr-basic']);
    expect(down.exitCode).toBe(0);
    expect(down.stdout).toMatch(/^Removed 4 containers \(.*\) and 1 networks \(lvs_dr\)/);
    expect(await labelled()).toEqual({ containers: [], networks: [] });
    const twice = await lab(['teardown', 'rr-basic']);
    expect(twice).toMatchObject({ exitCode: 0, stdout: 'Nothing to remove: no container or network of lab rr-basic.\n' });
  }, 240_000);
});
