import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL } from '../../src/labels.js';
import { DockerRuntime } from '../../src/runtime/docker.js';
import { lab, type CliResult } from '../helpers/cli.js';
import { probeHostKind } from '../helpers/host-kind.js';
import { ensureHostImage } from '../helpers/image.js';
import { copyOfRrBasic } from '../helpers/scenario-copy.js';

// A remote engine the way a user reaches one: DOCKER_HOST=ssh://root@127.0.0.1:PORT (or a Docker context
// naming it) through a real sshd of this file's own (loopback only, a key made here), whose sessions run
// `docker system dial-stdio` on this machine's engine. Every command must work through it as on the local
// socket, and each way the ssh leg fails must be exit 3 with a fix. Everything this file writes is in its
// temp dir (the UML guest's root filesystem is read-only), but sshd's privilege separation directory.
const SSHD = '/usr/sbin/sshd';
const PRIVSEP_DIR = '/run/sshd';
const dir = mkdtempSync(join(tmpdir(), 'lab-remote-engine-'));
const runtime = await DockerRuntime.connect();
await ensureHostImage(runtime);
const host = await probeHostKind();

const keygen = (name: string) => {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `lab-test-${name}`, '-f', join(dir, name)]);
  return { key: join(dir, name), pub: readFileSync(join(dir, `${name}.pub`), 'utf8').trim() };
};
const client = keygen('client');
// A key sshd accepts but only to run a command that is not docker: the login works, dial-stdio does not.
const noDocker = keygen('no-docker');
const stranger = keygen('stranger');
const hostKey = keygen('host');
/** A HOME whose ~/.ssh/known_hosts records the given key as the sshd's on each port (as `ssh` once accepted writes it). */
const homeKnowing = (name: string, pub?: string) => {
  const home = join(dir, name);
  mkdirSync(join(home, '.ssh'), { recursive: true });
  const key = pub?.split(' ').slice(0, 2).join(' ');
  if (key) writeFileSync(join(home, '.ssh', 'known_hosts'), [port, noSessionsPort].map((p) => `[127.0.0.1]:${p} ${key}\n`).join(''));
  return home;
};

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Resolves once something on the port speaks ssh (its banner), false after `ms`. */
async function sshAnswers(port: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const banner = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port });
      const done = (ok: boolean) => (socket.destroy(), resolve(ok));
      socket.setTimeout(2000, () => done(false));
      socket.once('data', (data) => done(data.toString().startsWith('SSH-')));
      socket.once('error', () => done(false));
    });
    if (banner) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

const port = await freePort();
// The same sshd on a second port, where it takes the login but no session (MaxSessions 0).
const noSessionsPort = await freePort();
const closedPort = await freePort();
const remote = `ssh://root@127.0.0.1:${port}`;
// Neither the agent of whoever runs the tests nor their ~/.docker: only what each test gives.
const overSsh = { DOCKER_HOST: remote, HOME: homeKnowing('home', hostKey.pub), LVS_LAB_SSH_KEY: client.key, SSH_AUTH_SOCK: undefined, DOCKER_CONTEXT: undefined, DOCKER_CONFIG: join(dir, 'no-docker-config') };
const sshdLog = join(dir, 'sshd.log');
let sshd: ChildProcess | undefined;
let madePrivsepDir = false;

beforeAll(async () => {
  if (!existsSync(SSHD)) throw new Error(`${SSHD} is missing: \`sudo apt-get install openssh-server\` (scripts/setup.sh installs it)`);
  writeFileSync(join(dir, 'authorized_keys'), `${client.pub}\ncommand="echo no docker for this key >&2; exit 1" ${noDocker.pub}\n`);
  const config = join(dir, 'sshd_config');
  writeFileSync(config, [
    'ListenAddress 127.0.0.1', `Port ${port}`, `Port ${noSessionsPort}`, `HostKey ${join(dir, 'host')}`, `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    `PidFile ${join(dir, 'sshd.pid')}`, 'StrictModes no', 'UsePAM no', 'PermitRootLogin prohibit-password',
    'PasswordAuthentication no', 'KbdInteractiveAuthentication no', `Match LocalPort ${noSessionsPort}`, 'MaxSessions 0', '',
  ].join('\n'));
  // Debian's sshd refuses to start without its privilege separation directory (a service would make it).
  if (!existsSync(PRIVSEP_DIR)) {
    mkdirSync(PRIVSEP_DIR, { mode: 0o755 });
    madePrivsepDir = true;
  }
  const log = openSync(sshdLog, 'a');
  sshd = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', log, log] });
  if (!(await sshAnswers(port, 15_000)) || !(await sshAnswers(noSessionsPort, 5000))) throw new Error(`sshd did not answer on 127.0.0.1:${port} and :${noSessionsPort}: ${readFileSync(sshdLog, 'utf8')}`);
}, 120_000);

afterAll(async () => {
  if (sshd && sshd.exitCode === null) {
    const exited = new Promise((resolve) => sshd!.once('exit', resolve));
    sshd.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (sshd.exitCode === null) sshd.kill('SIGKILL');
  }
  if (madePrivsepDir && readdirSync(PRIVSEP_DIR).length === 0) rmdirSync(PRIVSEP_DIR);
  rmSync(dir, { recursive: true, force: true });
}, 30_000);

const json = (r: CliResult) => JSON.parse(r.stdout) as Record<string, unknown> & { checks: Array<{ id: string; status: string; detail: string; fix: string | null }> };
const dockerRow = (r: CliResult) => json(r).checks.find((c) => c.id === 'docker')!;
const logins = () => readFileSync(sshdLog, 'utf8').match(/Accepted publickey for root/g)?.length ?? 0;
const noStackTrace = (r: CliResult) => expect(r.stderr).not.toMatch(/^\s+at .*\(.*:\d+:\d+\)$/m);
/** A spawn of the CLI takes 5-8 s in a one-CPU UML guest. */
const CLI_MS = 180_000;

describe('DOCKER_HOST=ssh://root@127.0.0.1:PORT (a local sshd in front of this machine\'s engine)', () => {
  it('`lab doctor --json` names the ssh engine, does not check host routes, and finds what the local engine finds', async () => {
    const before = logins();
    const [viaSsh, local] = await Promise.all([lab(['doctor', '--json'], { env: overSsh, timeoutMs: CLI_MS }), lab(['doctor', '--json'], { timeoutMs: CLI_MS })]);
    expect(viaSsh.stderr).not.toContain('DeprecationWarning');
    expect(dockerRow(viaSsh)).toMatchObject({ status: 'pass', detail: expect.stringContaining(`engine ${remote} (from DOCKER_HOST)`) });
    expect(dockerRow(local).detail).not.toContain('ssh://');
    expect(json(viaSsh).checks.find((c) => c.id === 'subnet')!.detail).toContain('host routes not checked (remote engine');
    const statuses = (r: CliResult) => json(r).checks.map((c) => [c.id, c.status]);
    expect(statuses(viaSsh)).toEqual(statuses(local));
    expect(viaSsh.exitCode).toBe(local.exitCode);
    expect(logins()).toBeGreaterThan(before);
  }, CLI_MS);

  it('`lab up rr-basic --dry-run` and `lab status --json` work over it', async () => {
    const plan = await lab(['up', 'rr-basic', '--dry-run'], { env: overSsh, timeoutMs: CLI_MS });
    expect(plan.exitCode, plan.stderr).toBe(0);
    expect(plan.stdout).toContain('docker network create --subnet=172.20.0.0/16 --internal lvs_dr');
    const before = logins();
    const status = await lab(['status', '--json'], { env: overSsh, timeoutMs: CLI_MS });
    expect(status.exitCode, status.stderr).toBe(0);
    expect(json(status)).toMatchObject({ schema: 'lvs-lab/status@1', ok: true, labs: expect.any(Array) });
    // Its several Engine API calls (ping, containers, networks) share one ssh login.
    expect(logins() - before).toBe(1);
  }, CLI_MS);

  it('`lab images import TAR` streams the tarball over ssh', async () => {
    const rootfs = join(dir, 'rootfs');
    mkdirSync(join(rootfs, 'etc'), { recursive: true });
    writeFileSync(join(rootfs, 'etc', 'remote-import'), 'imported over ssh\n');
    const tar = join(dir, 'tiny.tar');
    execFileSync('tar', ['-C', rootfs, '-cf', tar, '.']);
    const tag = `lvs-lab/remote-import-test:${randomBytes(3).toString('hex')}`;
    try {
      const r = await lab(['images', 'import', tar, '--tag', tag], { env: overSsh, timeoutMs: CLI_MS });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(await runtime.imageExists(tag)).toBe(true);
    } finally {
      await new Docker().getImage(tag).remove().catch(() => undefined);
    }
  }, CLI_MS);

  const copy = copyOfRrBasic('remote', 219);
  const node = (name: string) => `${copy.lab}-${name}`;
  const leftovers = async () => ({
    containers: (await runtime.listContainers({ key: LABEL.lab, value: copy.lab })).map((c) => c.name),
    networks: (await runtime.listNetworks({ key: LABEL.lab, value: copy.lab })).map((n) => n.name),
  });

  if (host.ipvs && host.privileged) {
    it(`on this host (${host.label}): up (doctor, build, verify), verify keeping its captures, teardown, all over ssh`, async () => {
      // A loaded one-CPU guest's engine has taken over 120 s (4 nodes x the default 30 s) to start a container.
      const patient = { ...overSsh, LVS_LAB_ENGINE_TIMEOUT: '120' };
      try {
        const up = await lab(['up', copy.file], { env: patient, timeoutMs: 900_000 });
        expect(up.exitCode, up.stderr.slice(-3000)).toBe(0);
        const pcaps = join(dir, 'pcaps');
        const verify = await lab(['verify', copy.lab, '--json', '--keep-captures', pcaps], { env: patient, timeoutMs: 600_000 });
        expect(verify.exitCode, verify.stderr.slice(-3000)).toBe(0);
        expect(json(verify).ok).toBe(true);
        expect(readdirSync(pcaps).sort()).toEqual(['client', 'lvs', 'rs1', 'rs2'].map((n) => `${node(n)}-eth0.pcap`));
      } finally {
        const down = await lab(['teardown', copy.lab], { env: patient, timeoutMs: CLI_MS });
        expect(down.exitCode, down.stderr).toBe(0);
      }
      expect(await leftovers()).toEqual({ containers: [], networks: [] });
    }, 1_800_000);
  } else {
    it(`on this host (${host.label}): up fails with exit 3 and the same fix as on the local socket, leaving nothing`, async () => {
      const viaSsh = await lab(['up', copy.file], { env: overSsh, timeoutMs: 600_000 });
      const local = await lab(['up', copy.file], { timeoutMs: 600_000 });
      const fix = (r: CliResult) => r.stderr.split('\n').filter((l) => l.startsWith('fix:'));
      expect(viaSsh.exitCode, viaSsh.stderr.slice(-3000)).toBe(3);
      expect(local.exitCode).toBe(3);
      expect(fix(viaSsh)).toEqual(fix(local));
      expect(fix(viaSsh)).toHaveLength(1);
      noStackTrace(viaSsh);
      expect(await leftovers()).toEqual({ containers: [], networks: [] });
    }, 1_300_000);
  }

  it(`a lab kept after ${host.ipvs ? 'its build' : 'its failed build'}: status, exec, capture to a local .pcap, teardown, over ssh`, async () => {
    try {
      const up = await lab(['up', copy.file, '--privilege', 'minimal', '--init', 'none', '--keep-on-failure', '--no-doctor', '--no-verify'], { env: overSsh, timeoutMs: 900_000 });
      expect(up.exitCode, up.stderr.slice(-3000)).toBe(host.ipvs ? 0 : 3);
      const status = await lab(['status', '--json'], { env: overSsh, timeoutMs: CLI_MS });
      const labs = json(status).labs as Array<{ lab: string; nodes: Array<{ node: string }> }>;
      expect(labs.find((l) => l.lab === copy.lab)?.nodes.map((n) => n.node)).toEqual(['client', 'lvs', 'rs1', 'rs2'].map(node));
      expect(await lab(['exec', node('rs1'), '--', 'sh', '-c', 'hostname; exit 5'], { env: overSsh, timeoutMs: CLI_MS })).toMatchObject({ exitCode: 5, stdout: `${node('rs1')}\n` });
      const pcap = join(dir, 'rs1.pcap');
      const [saved] = await Promise.all([
        lab(['capture', node('rs1'), '-w', pcap, '-c', '2', '--seconds', '60', '-f', 'icmp'], { env: overSsh, timeoutMs: CLI_MS }),
        // Pings until the capture (its own ssh logins first) has seen two; bounded by ping's own count.
        new Promise((r) => setTimeout(r, 5000)).then(() => lab(['exec', node('client'), '--', 'ping', '-c', '40', '-i', '0.5', `10.${copy.subnetOctet}.1.10`], { timeoutMs: CLI_MS })),
      ]);
      expect(saved.exitCode, saved.stderr).toBe(0);
      expect(readFileSync(pcap).readUInt32LE(0)).toBe(0xa1b2c3d4);
      expect(readFileSync(pcap).length).toBeGreaterThan(24 + 2 * 16);
    } finally {
      const down = await lab(['teardown', copy.lab], { env: overSsh, timeoutMs: CLI_MS });
      expect(down.exitCode, down.stderr).toBe(0);
    }
    expect(await leftovers()).toEqual({ containers: [], networks: [] });
  }, 1_300_000);
});

describe('a Docker context naming the ssh engine (in a DOCKER_CONFIG of this file\'s own)', () => {
  const config = join(dir, 'docker-config');
  const name = `remote-test-${randomBytes(3).toString('hex')}`;
  const meta = join(config, 'contexts', 'meta', createHash('sha256').update(name).digest('hex'));
  mkdirSync(meta, { recursive: true });
  writeFileSync(join(meta, 'meta.json'), JSON.stringify({ Name: name, Metadata: {}, Endpoints: { docker: { Host: remote, SkipTLSVerify: false } } }));
  writeFileSync(join(config, 'config.json'), JSON.stringify({ currentContext: name }));
  const inContext = { ...overSsh, DOCKER_HOST: undefined, DOCKER_CONFIG: config };

  it('config.json\'s currentContext and DOCKER_CONTEXT pick it; DOCKER_HOST wins over both', async () => {
    const [current, named, overridden] = await Promise.all([
      lab(['doctor', '--json'], { env: inContext, timeoutMs: CLI_MS }),
      lab(['doctor', '--json'], { env: { ...inContext, DOCKER_CONTEXT: name }, timeoutMs: CLI_MS }),
      lab(['doctor', '--json'], { env: { ...inContext, DOCKER_CONTEXT: name, DOCKER_HOST: 'unix:///var/run/docker.sock' }, timeoutMs: CLI_MS }),
    ]);
    expect(dockerRow(current)).toMatchObject({ status: 'pass', detail: expect.stringContaining(`engine ${remote} (from context ${name} (currentContext in ${join(config, 'config.json')}))`) });
    expect(dockerRow(named)).toMatchObject({ status: 'pass', detail: expect.stringContaining(`engine ${remote} (from context ${name} (DOCKER_CONTEXT))`) });
    expect(dockerRow(overridden)).toMatchObject({ status: 'pass', detail: expect.stringContaining('engine unix:///var/run/docker.sock (from DOCKER_HOST)') });
  }, CLI_MS);

  it('a context that does not exist: exit 3, with the fix', async () => {
    const r = await lab(['status'], { env: { ...inContext, DOCKER_CONTEXT: 'no-such-context' }, timeoutMs: CLI_MS });
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain('error: Docker context no-such-context (DOCKER_CONTEXT) does not exist');
    expect(r.stderr).toContain('fix: List the contexts with `docker context ls`');
  }, CLI_MS);
});

describe('when the ssh leg fails: exit 3, one JSON document, a fix, no stack trace', () => {
  const failing = { ...overSsh, LVS_LAB_ENGINE_TIMEOUT: '20' };

  it('no sshd on the port', async () => {
    const env = { ...failing, DOCKER_HOST: `ssh://root@127.0.0.1:${closedPort}` };
    const [status, doctor] = await Promise.all([lab(['status', '--json'], { env, timeoutMs: CLI_MS }), lab(['doctor', '--json'], { env, timeoutMs: CLI_MS })]);
    expect(status.exitCode).toBe(3);
    expect(json(status).error).toMatchObject({ exitCode: 3, message: expect.stringContaining(`ssh://root@127.0.0.1:${closedPort} (from DOCKER_HOST; ECONNREFUSED)`), hint: expect.stringContaining(`ssh -p ${closedPort} root@127.0.0.1 docker version`) });
    expect(doctor.exitCode).toBe(3);
    expect(json(doctor).checks).toEqual([expect.objectContaining({ id: 'docker', status: 'fail', fix: expect.stringContaining('sshd') })]);
    noStackTrace(status);
  }, CLI_MS);

  it('a host key known_hosts does not record: refused, with its fingerprint and how to accept it', async () => {
    const r = await lab(['status'], { env: { ...failing, HOME: homeKnowing('home-new') }, timeoutMs: CLI_MS });
    expect(r.exitCode).toBe(3);
    const fingerprint = execFileSync('ssh-keygen', ['-l', '-f', `${hostKey.key}.pub`], { encoding: 'utf8' }).split(' ')[1]!;
    expect(r.stderr).toContain(`error: The ssh host key of 127.0.0.1 port ${port} (${fingerprint}) is not in ${join(dir, 'home-new', '.ssh', 'known_hosts')}`);
    expect(r.stderr).toContain(`fix: Log in once with \`ssh -p ${port} 127.0.0.1\``);
    noStackTrace(r);
  }, CLI_MS);

  it('a host key other than the one known_hosts records: refused, naming the risk and `ssh-keygen -R`', async () => {
    const r = await lab(['status', '--json'], { env: { ...failing, HOME: homeKnowing('home-changed', stranger.pub) }, timeoutMs: CLI_MS });
    expect(r.exitCode).toBe(3);
    expect(json(r).error).toMatchObject({
      exitCode: 3,
      message: expect.stringContaining('someone may be in the middle'),
      hint: expect.stringContaining(`ssh-keygen -R '[127.0.0.1]:${port}'`),
    });
  }, CLI_MS);

  it('a key sshd does not accept', async () => {
    const r = await lab(['status'], { env: { ...failing, LVS_LAB_SSH_KEY: stranger.key }, timeoutMs: CLI_MS });
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain(`error: ssh refused lab's login to the Docker engine at ${remote}`);
    expect(r.stderr).toContain(`ssh-copy-id -p ${port} root@127.0.0.1`);
    noStackTrace(r);
  }, CLI_MS);

  it('a login whose session cannot run docker', async () => {
    const r = await lab(['up', 'rr-basic', '--json'], { env: { ...failing, LVS_LAB_SSH_KEY: noDocker.key }, timeoutMs: CLI_MS });
    expect(r.exitCode).toBe(3);
    expect(json(r).error).toMatchObject({ message: expect.stringContaining('`docker system dial-stdio` there ended without answering'), hint: expect.stringContaining('The remote user must be able to run `docker`') });
    noStackTrace(r);
  }, CLI_MS);

  it('a login on which sshd opens no session (MaxSessions 0)', async () => {
    const env = { ...failing, DOCKER_HOST: `ssh://root@127.0.0.1:${noSessionsPort}` };
    const r = await lab(['status', '--json'], { env, timeoutMs: CLI_MS });
    expect(r.exitCode).toBe(3);
    expect(json(r).error).toMatchObject({
      message: expect.stringContaining('sshd there opens no session on that login'),
      hint: expect.stringMatching(new RegExp(`MaxSessions at least 1 .*; check by hand with \`ssh -p ${noSessionsPort} root@127\\.0\\.0\\.1 docker version\``)),
    });
    noStackTrace(r);
  }, CLI_MS);
});
