import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LABEL } from '../../src/labels.js';
import { DockerRuntime } from '../../src/runtime/docker.js';
import { lab } from '../helpers/cli.js';
import { probeHostKind } from '../helpers/host-kind.js';
import { ensureHostImage, rootfsTar } from '../helpers/image.js';

// The built CLI against the Docker host it finds, asserting what that kind of host must do: where the
// kernel has no IPVS or the engine refuses --privileged (this project's CI machine), the failure paths a
// student meets there, each with its fix; where it has both (most Ubuntu/Debian installs; User-Mode Linux
// runs these same files as such a host), the README's direct path: `lab up rr-basic` builds and verifies.
const runtime = await DockerRuntime.connect();
await ensureHostImage(runtime);
const host = await probeHostKind();
const MODPROBE_FIX = 'modprobe ip_vs ip_vs_rr';
const PRIVILEGE_FIX = 'fix: Run with `--privilege capabilities`';
const DR_CHECKS = ['ARP for the VIP', 'Request path', 'Return path', 'No TCP endpoint on the director', 'Scheduling (rr: strict alternation)'];

const labelled = async () => ({
  containers: await runtime.listContainers({ key: LABEL.lab, value: 'rr-basic' }),
  networks: await runtime.listNetworks({ key: LABEL.lab, value: 'rr-basic' }),
});

/** An `up` that built the lab: remove it again, through the CLI, and check nothing is left. */
async function teardownBuilt(): Promise<void> {
  const down = await lab(['teardown', 'rr-basic']);
  expect(down.exitCode, down.stderr).toBe(0);
  expect(down.stdout).toMatch(/^Removed 4 containers \(.*\) and 1 networks \(lvs_dr\)/);
  expect(await labelled()).toEqual({ containers: [], networks: [] });
}

beforeAll(async () => {
  await lab(['teardown', 'rr-basic']);
}, 300_000);
afterEach(async () => {
  await lab(['teardown', 'rr-basic']);
}, 120_000);

describe('lab images', () => {
  it('`lab images import TAR --tag` makes an image from the Debian-packages tarball', async () => {
    const tag = 'lvs-lab/import-test:cli';
    const r = await lab(['images', 'import', await rootfsTar(), '--tag', tag], { timeoutMs: 180_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(await runtime.imageExists(tag)).toBe(true);
    await new Docker().getImage(tag).remove();
    const missing = await lab(['images', 'import', '/nonexistent.tar']);
    expect(missing.exitCode).toBe(3);
    expect(missing.stderr).toContain('lab images build --offline');
  }, 200_000);
});

describe(`lab up rr-basic on this host (${host.label})`, () => {
  const buildsHere = host.ipvs && host.privileged;
  it(
    buildsHere
      ? '`up` runs the doctor checks (all green), builds rr-basic, passes every DR check; teardown removes it'
      : `\`up\` runs the doctor checks (its own steps check IPVS and privileges) and stops at ${host.privileged ? 'the missing IPVS' : 'the refused --privileged'} with its fix, exit 3, nothing left`,
    async () => {
      const r = await lab(['up', 'rr-basic'], { timeoutMs: 600_000 });
      expect(r.stderr).toContain('Checking the environment');
      if (buildsHere) {
        expect(r.exitCode, r.stderr + r.stdout).toBe(0);
        expect(r.stderr).toContain('[lvs] $ ipvsadm -a -t 172.20.1.100:80 -r 172.20.1.11 -g');
        for (const check of DR_CHECKS) expect(r.stdout).toContain(`${'PASS'.padEnd(11)} ${check}`);
        expect(r.stdout.match(/^PASS /gm)).toHaveLength(6);
        expect(r.stdout).not.toMatch(/^(FAIL|NOT CHECKED) /m);
        await teardownBuilt();
        return;
      }
      expect(r.exitCode).toBe(3);
      // No probe containers inside `up`: the first container refuses --privileged, or the director's ipvsadm finds no IPVS.
      expect(r.stderr).toContain(host.privileged ? MODPROBE_FIX : '--privilege capabilities');
      expect(r.stderr).toMatch(/Removed what this run made \(/);
      expect(await labelled()).toEqual({ containers: [], networks: [] });
    },
    660_000,
  );

  it(
    `--privilege auto --init auto: ${host.privileged ? 'keeps privileged, no warning' : 'picks capabilities with a warning'}, keeps systemd; ${host.ipvs ? 'builds' : 'then stops on the missing IPVS'}`,
    async () => {
      const r = await lab(['up', 'rr-basic', '--privilege', 'auto', '--init', 'auto', '--no-verify'], { timeoutMs: 600_000 });
      const warning = 'warning: privilege auto: this engine refuses --privileged; using the capabilities profile.';
      expect(r.stderr.includes(warning)).toBe(!host.privileged);
      expect(r.stderr).not.toContain('--privilege capabilities` (every');
      if (host.ipvs) {
        expect(r.exitCode, r.stderr).toBe(0);
        expect(r.stderr).toContain(host.privileged ? '--privileged=true' : '--cap-add=ALL');
        await teardownBuilt();
      } else {
        expect(r.exitCode).toBe(3);
        expect(r.stderr).toContain(MODPROBE_FIX);
      }
      const dry = await lab(['up', 'rr-basic', '--privilege', 'auto', '--dry-run']);
      expect(dry.stdout).toContain('auto settings shown as privileged + systemd');
      expect(await labelled()).toEqual({ containers: [], networks: [] });
    },
    660_000,
  );

  it(
    `with the checks skipped (--no-doctor): ${host.privileged ? (host.ipvs ? 'builds with --privileged' : 'privileged starts, then the missing IPVS is caught at `ipvsadm -Ln`') : 'refused --privileged is caught at the first container'}: ${host.ipvs && host.privileged ? 'exit 0' : 'exit 3, the fix, nothing left'}`,
    async () => {
      const r = await lab(['up', 'rr-basic', '--no-doctor', '--no-verify'], { timeoutMs: 600_000 });
      expect(r.stderr).not.toContain('Checking the environment');
      if (!host.privileged) {
        expect(r.exitCode).toBe(3);
        expect(r.stderr).toContain('refuses privileged containers');
        expect(r.stderr).toContain(PRIVILEGE_FIX);
      } else if (!host.ipvs) {
        expect(r.exitCode).toBe(3);
        expect(r.stderr).toContain('error: The kernel under Docker has no IPVS');
      } else {
        expect(r.exitCode, r.stderr).toBe(0);
        await teardownBuilt();
      }
      expect(await labelled()).toEqual({ containers: [], networks: [] });
    },
    660_000,
  );

  it(
    `--privilege capabilities --no-doctor: systemd boots, ${host.ipvs ? 'and the lab builds under that profile' : 'then the director lacks IPVS: exit 3 with the modprobe fix, nothing left'}`,
    async () => {
      const r = await lab(['up', 'rr-basic', '--privilege', 'capabilities', '--no-doctor', '--no-verify'], { timeoutMs: 600_000 });
      expect(r.stderr).toContain('[lvs] $ ipvsadm -Ln');
      if (host.ipvs) {
        expect(r.exitCode, r.stderr).toBe(0);
        await teardownBuilt();
        return;
      }
      expect(r.exitCode).toBe(3);
      expect(r.stderr).toContain('error: The kernel under Docker has no IPVS');
      expect(r.stderr).toContain('fix: On the Docker host run `sudo modprobe ip_vs ip_vs_rr`');
      expect(await labelled()).toEqual({ containers: [], networks: [] });
    },
    660_000,
  );

  it(`--json reports the outcome as one document (${host.ipvs ? 'ok, with the verification' : 'the error with its fix'})`, async () => {
    const r = await lab(['up', 'rr-basic', '--privilege', 'minimal', '--init', 'none', '--json'], { timeoutMs: 600_000 });
    const doc = JSON.parse(r.stdout);
    if (host.ipvs) {
      expect(r.exitCode, r.stderr).toBe(0);
      expect(doc).toMatchObject({ ok: true, lab: 'rr-basic', verify: { ok: true } });
      await teardownBuilt();
      return;
    }
    expect(r.exitCode).toBe(3);
    expect(doc).toMatchObject({ ok: false, error: { exitCode: 3 } });
    expect(doc.error.hint).toContain(MODPROBE_FIX);
  }, 660_000);

  it(`a ${host.ipvs ? 'built' : 'failed but kept (--keep-on-failure)'} lab: status, exec with exit code passed through, capture, a second up refused, teardown twice`, async () => {
    const up = await lab(['up', 'rr-basic', '--privilege', 'minimal', '--init', 'none', '--keep-on-failure', '--no-doctor', '--no-verify'], { timeoutMs: 600_000 });
    expect(up.exitCode, up.stderr).toBe(host.ipvs ? 0 : 3);
    const status = await lab(['status', '--json']);
    // Other labs may share this engine (another run's): this one is found by name.
    const labs = JSON.parse(status.stdout).labs as Array<{ lab: string; nodes: Array<{ node: string; addresses: Record<string, string> }> }>;
    const mine = labs.find((l) => l.lab === 'rr-basic')!;
    expect(mine.nodes.map((n) => [n.node, n.addresses.lvs_dr])).toEqual([
      ['client', '172.20.1.50'],
      ['lvs', '172.20.1.1'],
      ['rs1', '172.20.1.10'],
      ['rs2', '172.20.1.11'],
    ]);
    const exec = await lab(['exec', 'rs1', '--', 'sh', '-c', 'hostname; exit 5']);
    expect(exec).toMatchObject({ exitCode: 5, stdout: 'rs1\n' });
    expect((await lab(['exec', 'nosuchnode', '--', 'true'])).exitCode).toBe(2);
    // A lab not running says how to start it: a scenario by its name, an instance of one with --name.
    const notUp = await lab(['verify', `absent-${process.pid}`]);
    expect(notUp.exitCode).toBe(3);
    expect(notUp.stderr).toContain(`fix: Start it with \`lab up SCENARIO --name absent-${process.pid}\` (\`lab list\``);
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
    // A node stopped behind lab's back: exit 3 with how to bring its lab back.
    await new Docker().getContainer('rs2').stop({ t: 1 });
    const stopped = await lab(['exec', 'rs2', '--', 'true']);
    expect(stopped.exitCode).toBe(3);
    expect(stopped.stderr).toMatch(/^error: Node rs2 is not running \(state: exited\)\.\nfix: Bring the lab up again: `lab teardown rr-basic` then `lab up rr-basic`\.$/m);
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
