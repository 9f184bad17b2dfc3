import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { GenericContainer, Network, type StartedNetwork, type StartedTestContainer } from 'testcontainers';
import { LabError } from '../../src/errors.js';
import { LABEL, labLabels } from '../../src/labels.js';
import { teardown } from '../../src/lab/teardown.js';
import type { ContainerSpec } from '../../src/runtime/types.js';
import { DockerRuntime } from '../../src/runtime/docker.js';
import { probeHostKind } from '../helpers/host-kind.js';
import { ensureHostImage } from '../helpers/image.js';
import { builtinScenario } from '../helpers/builtin.js';

// The adapter against the real Docker host it finds (see helpers/host-kind.ts: where --privileged is refused,
// it must say so with the fix; where it is allowed, the container must start).
// testcontainers' reaper needs an image from a registry, which this machine cannot reach.
process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';

const id = randomBytes(3).toString('hex');
const LAB = `it-${id}`;
const NET = `lvslab-it-${id}`;
const SUBNET = '10.213.0.0/24';
// Labelled like a real lab, so teardown sees them as lab-made.
const labMadeLabels = labLabels({ ...builtinScenario('rr-basic'), name: LAB }, 'test:runtime');
const labels = (node: string, role: string) => ({ ...labMadeLabels, [LABEL.node]: node, [LABEL.role]: role });

const runtime = await DockerRuntime.connect();
const image = await ensureHostImage(runtime);
const host = await probeHostKind();
let bystanderNet: StartedNetwork;
let bystander: StartedTestContainer;

const spec = (over: Partial<ContainerSpec> & { name: string; address: string }): ContainerSpec => ({
  hostname: over.name,
  image,
  init: 'none',
  privilege: 'minimal',
  interfaces: [{ network: NET, address: over.address }],
  sysctls: {},
  labels: labels(over.name, 'real-server'),
  ...over,
});

beforeAll(async () => {
  // Something that is not the lab's, made by another tool on another network: teardown must leave it alone.
  bystanderNet = await new Network().start();
  bystander = await new GenericContainer(image).withCommand(['sleep', 'infinity']).withNetwork(bystanderNet).withLabels({ 'io.example.owner': 'someone-else' }).start();
  await runtime.createNetwork({ name: NET, subnet: SUBNET, internal: true, labels: labMadeLabels });
}, 300_000);

afterAll(async () => {
  await teardown(runtime, LAB).catch(() => undefined);
  await bystander?.stop().catch(() => undefined);
  await bystanderNet?.stop().catch(() => undefined);
});

/** What a call threw, as thrown (boxed: returning a thrown promise would adopt it and hide that it was one). */
async function rejection(call: Promise<unknown>): Promise<{ thrown: unknown }> {
  let value: unknown;
  try {
    value = await call;
  } catch (thrown) {
    return { thrown };
  }
  throw new Error(`the call did not fail: it gave ${JSON.stringify(value)}`);
}

describe('Docker adapter on a real engine', () => {
  it('knows which images the engine has', async () => {
    expect(await runtime.imageExists(image)).toBe(true);
    expect(await runtime.imageExists(`lvs-lab/absent-${id}:none`)).toBe(false);
  });

  it('starts a container with a fixed address, hostname, labels and create-time sysctls', async () => {
    await runtime.runContainer(spec({ name: `rs-${id}`, address: '10.213.0.10', sysctls: { 'net.ipv4.conf.all.arp_ignore': '1', 'net.ipv4.conf.all.arp_announce': '2' } }));
    const [c] = await runtime.listContainers({ key: LABEL.node, value: `rs-${id}` });
    expect(c).toMatchObject({ state: 'running', addresses: { [NET]: '10.213.0.10' } });
    expect(c!.labels[LABEL.lab]).toBe(LAB);
    const r = await runtime.exec(`rs-${id}`, ['sh', '-c', 'hostname; sysctl -n net.ipv4.conf.all.arp_ignore net.ipv4.conf.all.arp_announce']);
    expect(r).toMatchObject({ exitCode: 0, stdout: `rs-${id}\n1\n2\n`, stderr: '' });
  }, 120_000);

  it('exec demuxes stdout from stderr and returns the exit code', async () => {
    const r = await runtime.exec(`rs-${id}`, ['sh', '-c', 'echo to-out; echo to-err >&2; exit 3']);
    expect(r).toEqual({ stdout: 'to-out\n', stderr: 'to-err\n', exitCode: 3, timedOut: false });
    const missing = await runtime.exec(`rs-${id}`, ['no-such-binary']);
    expect([126, 127]).toContain(missing.exitCode); // the runtime's "not found" codes
  });

  it('exec hands stdout on as it comes (onStdout), every character whole however the stream is cut', async () => {
    const pieces: string[] = [];
    // 3 bytes per character, 120 KB in several writes: the engine's frames cut some characters in two.
    const script = 'for i in 1 2 3 4; do yes € | head -n 10000 | tr -d "\\n"; sleep 0.1; done';
    const r = await runtime.exec(`rs-${id}`, ['sh', '-c', script], { onStdout: (t) => pieces.push(t) });
    expect(r.stdout).toBe('€'.repeat(40_000));
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.join('')).toBe(r.stdout);
  });

  it('runToExit: a throwaway container\'s exit code and its logs, stdout and stderr apart (as doctor reads them)', async () => {
    const name = `once-${id}`;
    try {
      const cmd = ['sh', '-c', 'echo to-out; echo to-err >&2; echo more-out; exit 3'];
      const r = await runtime.runToExit({ name, image, cmd, labels: labMadeLabels, privilege: 'minimal', tinyInit: true }, 60_000);
      expect(r).toEqual({ exitCode: 3, stdout: 'to-out\nmore-out\n', stderr: 'to-err\n' });
    } finally {
      await runtime.removeContainer(name);
    }
  }, 60_000);

  it('exec gives up after its timeout', async () => {
    const r = await runtime.exec(`rs-${id}`, ['sleep', '30'], { timeoutMs: 500 });
    expect(r.timedOut).toBe(true);
  });

  it('a container stopped from outside while a command runs in it, or before: exit 3 saying so; a command killed inside a running one is only its exit code', async () => {
    const name = `stopped-${id}`;
    await runtime.runContainer(spec({ name, address: '10.213.0.12' }));
    onTestFinished(() => runtime.removeContainer(name));
    const killedInside = await runtime.exec(name, ['sh', '-c', 'kill -9 $$']);
    expect(killedInside).toMatchObject({ exitCode: 137, timedOut: false });
    const running = rejection(runtime.exec(name, ['sleep', '30']));
    await new Promise((resolve) => setTimeout(resolve, 500));
    await new Docker().getContainer(name).stop({ t: 5 });
    const { thrown: during } = await running;
    expect(during, String(during)).toBeInstanceOf(LabError);
    expect((during as LabError).exitCode).toBe(3);
    // Killed while it ran, or (a slow engine) stopped before runc could start it: both are the stop, not the command.
    const when = /(while `sleep 30` ran in it|before `sleep 30` could start in it)/.source;
    expect((during as LabError).message).toMatch(new RegExp(`^Container ${name} stopped \\(exit 143, killed from outside\\) ${when}\\.$`));
    expect((during as LabError).hint).toMatch(/^Something stopped it: the engine shutting down or restarting/);
    const { thrown: before } = await rejection(runtime.exec(name, ['true']));
    expect(before, String(before)).toBeInstanceOf(LabError);
    expect((before as LabError).message).toBe(`Container ${name} stopped (exit 143, killed from outside) before a command could run in it.`);
  }, 60_000);

  it('a kept shell (withShells) runs commands as exec does, in one exec: output apart, exit codes, quoting, stdin its own', async () => {
    const name = `rs-${id}`;
    const execIds = async () => (await new Docker().getContainer(name).inspect()).ExecIDs ?? [];
    const { runtime: kept, close } = await runtime.withShells([name]);
    onTestFinished(close);
    const opened = await execIds();
    expect(await kept.exec(name, ['sh', '-c', 'echo to-out; echo to-err >&2; exit 3']))
      .toEqual({ stdout: 'to-out\n', stderr: 'to-err\n', exitCode: 3, timedOut: false });
    expect(await kept.exec(name, ['printf', '%s', `it's "quoted" $HOME \\ ;`]))
      .toEqual({ stdout: `it's "quoted" $HOME \\ ;`, stderr: '', exitCode: 0, timedOut: false });
    expect((await kept.exec(name, ['cat'])).stdout).toBe(''); // stdin is /dev/null, not the shell's commands
    expect((await kept.exec(name, ['sh', '-c', 'cd /tmp; exit 0'])).exitCode).toBe(0);
    expect(await kept.exec(name, ['sh', '-c', 'if then'])).toMatchObject({ stdout: '', exitCode: 2 }); // its own failure
    expect(await kept.exec(name, ['sh', '-c', 'exec echo replaced'])).toMatchObject({ stdout: 'replaced\n', exitCode: 0 });
    expect(await kept.exec(name, ['pwd'])).toMatchObject({ stdout: '/\n', exitCode: 0 });
    expect((await execIds()).filter((e) => !opened.includes(e))).toEqual([]); // none of those was an exec of its own
    const [a, b] = await Promise.all([kept.exec(name, ['echo', 'a']), kept.exec(name, ['echo', 'b'])]);
    expect([a.stdout, b.stdout]).toEqual(['a\n', 'b\n']); // the second, while the shell was busy, in an exec
    expect(await kept.exec(name, ['sleep', '30'], { timeoutMs: 500 })).toMatchObject({ exitCode: 124, timedOut: true });
    expect(await kept.exec(name, ['echo', 'after'])).toMatchObject({ stdout: 'after\n', exitCode: 0 });
  });

  it('a shell pool (withShellPool): keepShell opens one, which exec, onStdout and withShells use; close ends it', async () => {
    const name = `rs-${id}`;
    const execIds = async () => (await new Docker().getContainer(name).inspect()).ExecIDs ?? [];
    const before = await execIds();
    const pool = runtime.withShellPool();
    onTestFinished(pool.close);
    await runtime.keepShell(name); // no pool there: nothing opened
    expect((await execIds()).filter((e) => !before.includes(e))).toEqual([]);
    await pool.runtime.keepShell(name);
    await pool.runtime.keepShell(name); // kept already: not opened twice
    const opened = (await execIds()).filter((e) => !before.includes(e));
    expect(opened).toHaveLength(1);
    // Stdout arrives in pieces as it is printed, never with the shell's end marker in it.
    const pieces: string[] = [];
    const script = 'echo first; sleep 0.5; printf second; sleep 0.5; echo " third"';
    const r = await pool.runtime.exec(name, ['sh', '-c', script], { onStdout: (t) => pieces.push(t) });
    expect(r).toMatchObject({ stdout: 'first\nsecond third\n', exitCode: 0 });
    expect(pieces.length).toBeGreaterThan(1);
    expect(['first\nsecond third\n', 'first\nsecond third\n\n']).toContain(pieces.join('')); // (surelyTheCommands)
    const { runtime: verifying, close } = await pool.runtime.withShells([name]);
    expect(await verifying.exec(name, ['echo', 'in-pool'])).toMatchObject({ stdout: 'in-pool\n', exitCode: 0 });
    close(); // closes only the shells withShells opened: none
    expect(await pool.runtime.exec(name, ['echo', 'still'])).toMatchObject({ stdout: 'still\n', exitCode: 0 });
    expect((await execIds()).filter((e) => !before.includes(e))).toEqual(opened); // every command in the one shell
    pool.close();
    await vi.waitFor(async () => expect((await new Docker().getExec(opened[0]!).inspect()).Running).toBe(false));
  });

  it('a kept shell killed mid-command, its container running: exit 255 with what it printed, not run again', async () => {
    const name = `rs-${id}`;
    const execIds = async () => (await new Docker().getContainer(name).inspect()).ExecIDs ?? [];
    const before = await execIds();
    const { runtime: kept, close } = await runtime.withShells([name]);
    onTestFinished(close);
    const [shellExec] = (await execIds()).filter((e) => !before.includes(e));
    const file = `/tmp/ran-${id}`;
    const running = kept.exec(name, ['sh', '-c', `echo ran >>${file}; echo printed; sleep 2`]);
    await vi.waitFor(async () => expect((await runtime.exec(name, ['cat', file])).stdout).toBe('ran\n'));
    process.kill((await new Docker().getExec(shellExec!).inspect()).Pid, 'SIGKILL'); // the engine runs here
    const r = await running;
    expect(r).toMatchObject({ stdout: 'printed\n', exitCode: 255, timedOut: false });
    expect(r.stderr).toMatch(/connection to .*shell broke before this command ended/);
    expect((await runtime.exec(name, ['cat', file])).stdout).toBe('ran\n'); // not run again in an exec
  });

  it('a container stopped while a kept shell runs a command in it: exit 3 saying so', async () => {
    const name = `stopped-shell-${id}`;
    await runtime.runContainer(spec({ name, address: '10.213.0.14' }));
    onTestFinished(() => runtime.removeContainer(name));
    const { runtime: kept, close } = await runtime.withShells([name]);
    onTestFinished(close);
    const running = rejection(kept.exec(name, ['sleep', '30']));
    await new Promise((resolve) => setTimeout(resolve, 500));
    await new Docker().getContainer(name).stop({ t: 5 });
    const { thrown } = await running;
    expect(thrown, String(thrown)).toBeInstanceOf(LabError);
    expect((thrown as LabError).exitCode).toBe(3);
    expect((thrown as LabError).message).toMatch(new RegExp(`^Container ${name} stopped .* while \`sleep 30\` ran in it\\.$`));
  }, 60_000);

  it('a removal told another is in progress returns only once the container is gone', async () => {
    const name = `twice-${id}`;
    await runtime.runContainer(spec({ name, address: '10.213.0.13' }));
    const first = runtime.removeContainer(name);
    await runtime.removeContainer(name);
    expect(await runtime.containerStatus(name).catch((err) => String(err))).toMatch(/no such container/i);
    await first;
  });

  it('least privilege is enough for the VIP on lo, and /proc/sys stays read-only', async () => {
    expect((await runtime.exec(`rs-${id}`, ['ip', 'addr', 'add', '10.213.0.100/32', 'dev', 'lo', 'label', 'lo:1'])).exitCode).toBe(0);
    const sysctl = await runtime.exec(`rs-${id}`, ['sysctl', '-w', 'net.ipv4.ip_forward=1']);
    expect(sysctl.exitCode).not.toBe(0);
    expect(sysctl.stderr).toMatch(/Read-only file system|permission denied/);
  });

  it('the capabilities profile (what lab offers where --privileged is refused) boots systemd as /usr/sbin/init', async () => {
    await runtime.runContainer(spec({ name: `sd-${id}`, address: '10.213.0.11', init: 'systemd', privilege: 'capabilities', labels: labels(`sd-${id}`, 'director') }));
    let state = '';
    for (let i = 0; i < 60 && !/^(running|degraded)$/.test(state); i++) {
      state = (await runtime.exec(`sd-${id}`, ['systemctl', 'is-system-running'])).stdout.trim();
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(state).toMatch(/^(running|degraded)$/);
    const web = await runtime.exec(`sd-${id}`, ['sh', '-c', 'echo hello-from-sd > /var/www/html/index.html && systemctl start httpd && curl -s http://127.0.0.1/']);
    expect(web).toMatchObject({ exitCode: 0, stdout: 'hello-from-sd\n' });
    expect((await runtime.exec(`sd-${id}`, ['sysctl', '-w', 'net.ipv4.ip_forward=1'])).exitCode).toBe(0);
  }, 120_000);

  it(`a privileged container on this engine (privileged ${host.privileged ? 'allowed' : 'refused'}): ${host.privileged ? 'starts' : 'refused with the fix'}`, async () => {
    const err = await runtime.runContainer(spec({ name: `pv-${id}`, address: '10.213.0.12', privilege: 'privileged' })).catch((e: unknown) => e);
    if (host.privileged) {
      expect(err).toBeUndefined();
      expect((await runtime.listContainers({ key: LABEL.node, value: `pv-${id}` }))[0]).toMatchObject({ state: 'running' });
      return;
    }
    expect(err).toBeInstanceOf(LabError);
    expect((err as LabError).exitCode).toBe(3);
    expect((err as LabError).hint).toContain('--privilege capabilities');
  }, 60_000);

  it('an overlapping subnet is an environment error that says what to do', async () => {
    const err = await runtime.createNetwork({ name: `${NET}-dup`, subnet: SUBNET, internal: true, labels: { [LABEL.lab]: LAB } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LabError);
    expect((err as LabError).message).toContain('overlaps');
  });

  it('teardown removes exactly what carries the lab label, and can run twice', async () => {
    const first = await teardown(runtime, LAB);
    expect(first.containers.sort()).toEqual([`pv-${id}`, `rs-${id}`, `sd-${id}`].sort());
    expect(first.networks).toEqual([NET]);
    expect(await runtime.listContainers({ key: LABEL.lab, value: LAB })).toEqual([]);
    expect(await runtime.listNetworks({ key: LABEL.lab, value: LAB })).toEqual([]);
    const again = await teardown(runtime, LAB);
    expect(again).toMatchObject({ containers: [], networks: [] });
    // The bystander and its network are untouched.
    const info = await new Docker().getContainer(bystander.getId()).inspect();
    expect(info.State.Running).toBe(true);
    expect((await new Docker().getNetwork(bystanderNet.getId()).inspect()).Id).toBe(bystanderNet.getId());
  }, 60_000);
});
