import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROBE_LABEL } from '../../src/labels.js';
import { DEBIAN_IMAGE } from '../../src/image-names.js';
import { importRootfs } from '../../src/lab/images.js';
import { LABEL, labLabels } from '../../src/labels.js';
import { executeSteps } from '../../src/lab/steps.js';
import type { UpListener } from '../../src/lab/events.js';
import { buildPlan } from '../../src/plan/build.js';
import { DockerRuntime, sleep } from '../../src/runtime/docker.js';
import { loadScenario } from '../../src/scenario/load.js';
import { applyOverrides } from '../../src/scenario/model.js';
import { lab, startLab, type CliResult } from '../helpers/cli.js';
import { probeHostKind } from '../helpers/host-kind.js';
import { ensureHostImage, rootfsTar } from '../helpers/image.js';
import { copyOfRrBasic, type LabCopy } from '../helpers/scenario-copy.js';

// What `lab up` must keep true when runs race, are interrupted, or lose their engine: a run removes exactly
// what it made and nothing of anyone else's, says what it did, and ends with exit 3 / 130 / 143, never a
// hang or a stack trace. Leftovers are counted by the Engine API (dockerode here), not by lab's own code.
// The host's engine is shared with other test files: every lab here is a copy of rr-basic with random
// names and a free subnet. Freezing and stopping an engine happens to one this file starts for itself.
const host = new Docker();
await ensureHostImage(await DockerRuntime.connect());
const kind = await probeHostKind();
/** Lab options every run here uses: what this machine's engine allows (no --privileged, no systemd). */
const LEAST = ['--privilege', 'minimal', '--init', 'none', '--no-verify'];
const figures = { interrupts: 0, interruptsTried: 0, leftovers: 0, decoysSurvived: 0, decoysPlanted: 0, races: 0, engineLosses: 0 };

/** Removes of every decoy planted: run at the end too, so a failed assertion leaves no decoy behind. */
const decoyRemovals: Array<() => Promise<void>> = [];

afterAll(async () => {
  await Promise.all(decoyRemovals.map((remove) => remove()));
  process.stdout.write(
    `[reliability] interrupts survived: ${figures.interrupts}/${figures.interruptsTried}; racing ups with one winner: ${figures.races}; ` +
      `engines lost mid-up ending in exit 3: ${figures.engineLosses}; decoys survived: ${figures.decoysSurvived}/${figures.decoysPlanted}; leftovers: ${figures.leftovers}\n`,
  );
});

/** A second octet no network of that engine uses in 10.0.0.0/8. */
async function freeOctet(docker: Docker): Promise<number> {
  const used = new Set((await docker.listNetworks()).flatMap((n) => (n.IPAM?.Config ?? []).map((c) => /^10\.(\d+)\./.exec(c.Subnet ?? '')?.[1])).map(Number));
  for (;;) {
    const octet = 100 + Math.floor(Math.random() * 100);
    if (!used.has(octet) && !used.has(octet + 1)) return octet;
  }
}

/** rr-basic with its own lab, node and network names and a free 10.X.0.0/16. */
const copyOfFreeRrBasic = async (docker: Docker) => copyOfRrBasic('rel', await freeOctet(docker));

const runIdOf = (r: CliResult) => /^Run ([0-9a-f]{12}):/m.exec(r.stderr)?.[1];
const isDecoy = (name: string) => name.replace(/^\//, '').endsWith('decoy');

/** Everything of this copy (or this run, doctor probes included) the engine still has, decoys aside. */
async function leftovers(docker: Docker, copy: LabCopy, runId?: string): Promise<string[]> {
  const ours = (labels: Record<string, string> | undefined) => labels?.[LABEL.lab] === copy.lab || (runId !== undefined && labels?.[LABEL.run] === runId);
  const containers = (await docker.listContainers({ all: true }))
    .filter((c) => !isDecoy(c.Names[0] ?? '') && (ours(c.Labels) || c.Names.some((n) => n.startsWith(`/${copy.lab}-`))))
    .map((c) => `container ${c.Names[0]}`);
  const networks = (await docker.listNetworks()).filter((n) => !isDecoy(n.Name) && (ours(n.Labels) || n.Name === copy.network)).map((n) => `network ${n.Name}`);
  const found = [...containers, ...networks];
  figures.leftovers += found.length;
  return found;
}

/**
 * Objects lab must never touch: a container and a network carrying every label of the copy's lab, as if
 * another run of it made them (a cleanup by lab label would take them), outside the scenario's names.
 */
async function plantDecoys(docker: Docker, copy: LabCopy): Promise<() => Promise<boolean>> {
  const labels = { ...labLabels((await loadScenario(copy.file)).scenario, 'decoy', 'another-run'), 'io.lvs-lab.test': 'decoy' };
  const container = await docker.createContainer({ name: `${copy.lab}-decoy`, Image: DEBIAN_IMAGE, Cmd: ['true'], Labels: labels, HostConfig: { NetworkMode: 'none' } });
  const network = await docker.createNetwork({ Name: `${copy.network}_decoy`, Internal: true, Labels: labels, IPAM: { Driver: 'default', Config: [{ Subnet: `10.${copy.subnetOctet + 1}.0.0/24` }] } });
  figures.decoysPlanted += 2;
  decoyRemovals.push(async () => {
    await container.remove({ force: true }).catch(() => undefined);
    await network.remove().catch(() => undefined);
  });
  return async () => {
    const alive = await Promise.all([container.inspect().then(() => 1, () => 0), network.inspect().then(() => 1, () => 0)]);
    figures.decoysSurvived += alive[0]! + alive[1]!;
    await container.remove({ force: true }).catch(() => undefined);
    await network.remove().catch(() => undefined);
    return alive[0]! + alive[1]! === 2;
  };
}

/** What every ending of lab must have: a `fix:` line and no stack trace. */
function expectTidyError(r: CliResult): void {
  expect(r.stderr).toMatch(/^fix: \S/m);
  expect(r.stderr).not.toMatch(/^\s+at \S/m);
  expect(r.stderr).not.toContain('unexpected');
}

describe(`two racing \`lab up\`s of one lab on this host (${kind.label})`, () => {
  it(`exactly one wins, the other exits 3 "being brought up / already up" and touches nothing; the winner ${kind.ipvs ? 'comes up' : 'fails only at IPVS and removes only its own'}`, async () => {
    const copy = await copyOfFreeRrBasic(host);
    const decoysSurvive = await plantDecoys(host, copy);
    const args = ['up', copy.file, '--no-doctor', ...LEAST];
    const [a, b] = await Promise.all([lab(args, { timeoutMs: 300_000 }), lab(args, { timeoutMs: 300_000 })]);
    const busy = /Lab \S+ is (being brought up by another `lab up`, or is already up|already up, or being brought up by another `lab up`)/;
    const losers = [a, b].filter((r) => busy.test(r.stderr));
    expect(losers, `${a.stderr}\n----\n${b.stderr}`).toHaveLength(1);
    const loser = losers[0]!;
    const winner = loser === a ? b : a;
    expect(loser.exitCode).toBe(3);
    expectTidyError(loser);
    expect(loser.stderr).not.toMatch(/Removed what this run made \([1-9]/);
    expect(loser.stderr).not.toContain('==> Start the containers');
    if (kind.ipvs) {
      expect(winner.exitCode, winner.stderr).toBe(0);
      const nodes = await host.listContainers({ all: true, filters: JSON.stringify({ label: [`${LABEL.run}=${runIdOf(winner)}`] }) });
      expect(nodes.map((c) => c.State).sort()).toEqual(['running', 'running', 'running', 'running']);
      // Checked before the teardown: `lab teardown LAB` removes every lab-made object of the lab, decoys too.
      expect(await decoysSurvive()).toBe(true);
      const down = await lab(['teardown', copy.lab]);
      expect(down.exitCode, down.stderr).toBe(0);
    } else {
      expect(winner.exitCode).toBe(3);
      expect(winner.stderr).toContain('error: The kernel under Docker has no IPVS');
      expect(winner.stderr).toContain(`Removed what this run made (4 containers`);
      expect(await decoysSurvive()).toBe(true);
    }
    expect(await leftovers(host, copy)).toEqual([]);
    figures.races++;
  }, 320_000);

  it('a create the engine refuses because another run of the lab made that name (409) is exit 3 "being brought up", and that object stays', async () => {
    const copy = await copyOfFreeRrBasic(host);
    const { scenario, source } = await loadScenario(copy.file);
    const plan = buildPlan(applyOverrides(scenario, { privilege: 'minimal', init: 'none' }), source, 'this-run');
    const network = plan.steps.find((s) => s.kind === 'network')!;
    if (network.kind !== 'network') throw new Error('rr-basic has a network step');
    // The other run's network, made straight through the Engine API: same name, same lab labels, its own run.
    const theirs = await host.createNetwork({ Name: network.network.name, Internal: true, Labels: { ...network.network.labels, [LABEL.run]: 'other-run' }, IPAM: { Driver: 'default', Config: [{ Subnet: network.network.subnet }] } });
    const silent: UpListener = { phase: () => undefined, stepStart: () => undefined, stepDone: () => undefined, stepFailed: () => undefined, note: () => undefined };
    try {
      const runtime = await DockerRuntime.connect();
      await expect(executeSteps(plan, runtime, silent)).rejects.toMatchObject({
        exitCode: 3,
        message: expect.stringContaining(`Lab ${copy.lab} is being brought up by another \`lab up\`, or is already up`),
        hint: expect.stringContaining(`lab teardown ${copy.lab}`),
      });
      expect((await theirs.inspect()).Labels?.[LABEL.run]).toBe('other-run');
    } finally {
      await theirs.remove().catch(() => undefined);
    }
  });
});

/** Where `up` is when the signal goes: the line lab prints as it enters that phase, and what it needs. */
const PHASES = [
  { phase: 'doctor', trigger: 'Checking the environment', args: [] },
  { phase: 'network', trigger: '==> Create the network', args: ['--no-doctor'] },
  { phase: 'containers', trigger: '$ docker run', args: ['--no-doctor'] },
  { phase: 'steps', trigger: '==> Check that the kernel has IPVS', args: ['--no-doctor'] },
] as const;
const SIGNALS = [
  { signal: 'SIGINT', exitCode: 130 },
  { signal: 'SIGTERM', exitCode: 143 },
] as const;
const INTERRUPTS = PHASES.flatMap((p) => SIGNALS.map((s) => ({ ...p, ...s })));

describe(`an interrupted \`lab up\` on this host (${kind.label})`, () => {
  it.each(INTERRUPTS)('$signal during the $phase phase: exit $exitCode, says what it removed, leaves nothing, the decoys stay', async ({ trigger, args, signal, exitCode }) => {
    const copy = await copyOfFreeRrBasic(host);
    const decoysSurvive = await plantDecoys(host, copy);
    figures.interruptsTried++;
    // A loaded one-CPU guest's engine has taken over 30 s (the default bound) for one DELETE of the cleanup.
    const run = startLab(['up', copy.file, ...LEAST, ...args], { env: { LVS_LAB_ENGINE_TIMEOUT: '120' }, timeoutMs: 300_000 });
    expect(await run.until(trigger), run.output()).toBe(true);
    run.child.kill(signal);
    const r = await run.done;
    expect(r.exitCode, r.stderr).toBe(exitCode);
    expect(r.stderr).toMatch(new RegExp(`^error: Interrupted by ${signal} during `, 'm'));
    expect(r.stderr).toMatch(/(Removed what this run made \(|This run had made nothing yet)/);
    expectTidyError(r);
    expect(await leftovers(host, copy, runIdOf(r))).toEqual([]);
    expect(await decoysSurvive()).toBe(true);
    figures.interrupts++;
  }, 320_000);

  it('with --keep-on-failure: keeps what it made, names it and how to remove it; `lab teardown` then leaves nothing', async () => {
    const copy = await copyOfFreeRrBasic(host);
    const decoysSurvive = await plantDecoys(host, copy);
    figures.interruptsTried++;
    const run = startLab(['up', copy.file, ...LEAST, '--no-doctor', '--keep-on-failure'], { timeoutMs: 300_000 });
    expect(await run.until('$ docker run'), run.output()).toBe(true);
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.exitCode, r.stderr).toBe(130);
    expect(r.stderr).toMatch(new RegExp(`Kept what this run made \\(\\d+ containers?.*1 network \\(${copy.network}\\)\\)`));
    expect(r.stderr).toContain(`fix: Look around with \`lab status\`; remove it with \`lab teardown ${copy.lab}\``);
    expectTidyError(r);
    const kept = await host.listNetworks({ filters: JSON.stringify({ label: [`${LABEL.run}=${runIdOf(r)}`] }) });
    expect(kept.map((n) => n.Name)).toEqual([copy.network]);
    expect(await decoysSurvive()).toBe(true); // before the teardown, which removes every lab-made object of the lab
    // A loaded one-CPU guest's engine has taken over 60 s to remove one systemd container: the bounds of `up` above.
    const down = await lab(['teardown', copy.lab], { env: { LVS_LAB_ENGINE_TIMEOUT: '120' }, timeoutMs: 300_000 });
    expect(down.exitCode, down.stderr).toBe(0);
    expect(await leftovers(host, copy, runIdOf(r))).toEqual([]);
    figures.interrupts++;
  }, 620_000);
});

/**
 * A dockerd of this file's own (never the machine's shared one), to freeze (SIGSTOP) and stop mid-`up`:
 * no bridge, no iptables, its own data and exec roots, the lab image imported from the cached tarball.
 */
class OwnEngine {
  readonly dir = mkdtempSync(join(tmpdir(), 'lab-dockerd-'));
  readonly socket = join(this.dir, 'd.sock');
  readonly docker = new Docker({ socketPath: this.socket });
  /** lab pointed at it. */
  readonly env = { DOCKER_HOST: `unix://${this.socket}` };
  /** The same, with 5 s per call before the engine counts as frozen (the default 30 s would only be slower). */
  readonly impatientEnv = { ...this.env, LVS_LAB_ENGINE_TIMEOUT: '5' };
  private process: ChildProcess | undefined;

  async start(): Promise<void> {
    const log = openSync(join(this.dir, 'dockerd.log'), 'a');
    const d = this.dir;
    this.process = spawn('dockerd', ['--host', `unix://${this.socket}`, '--data-root', join(d, 'data'), '--exec-root', join(d, 'exec'), '--pidfile', join(d, 'd.pid'), '--bridge=none', '--iptables=false', '--ip-masq=false'], { stdio: ['ignore', log, log] });
    for (let i = 0; i < 120; i++) {
      if (this.process.exitCode !== null) break;
      if (await this.docker.ping().then(() => true, () => false)) return;
      await sleep(250);
    }
    throw new Error(`dockerd of this test did not start: ${readFileSync(join(d, 'dockerd.log'), 'utf8').split('\n').slice(-15).join('\n')}`);
  }

  freeze(): void {
    this.process?.kill('SIGSTOP');
  }

  thaw(): void {
    this.process?.kill('SIGCONT');
  }

  /** SIGTERM, as `systemctl stop docker` does, and wait until it is gone. */
  async stop(): Promise<void> {
    const p = this.process;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise((resolve) => p.once('exit', resolve));
    p.kill('SIGCONT');
    p.kill('SIGTERM');
    await gone;
  }

  async remove(): Promise<void> {
    await this.stop();
    // dockerd makes its data root a mount of its own; one left behind would make the removal fail.
    spawnSync('umount', [join(this.dir, 'data')], { stdio: 'ignore' });
    rmSync(this.dir, { recursive: true, force: true, maxRetries: 3 });
  }
}

describe('a `lab up` whose Docker engine freezes or stops mid-run (an engine of this test\'s own)', () => {
  let engine: OwnEngine;
  beforeAll(async () => {
    engine = new OwnEngine();
    await engine.start();
    await importRootfs(new DockerRuntime(engine.docker), await rootfsTar(), DEBIAN_IMAGE);
  }, 300_000);
  afterAll(() => engine?.remove(), 120_000);

  it('SIGINT while a doctor probe is live on a frozen engine: exit 130 once it thaws, no lvs-lab-doctor-* container left', async () => {
    const copy = await copyOfFreeRrBasic(engine.docker);
    // `up` runs the IPVS probe for a keepalived lab only (elsewhere its own `ipvsadm` steps check the same).
    writeFileSync(copy.file, readFileSync(copy.file, 'utf8').replace(/^  port: 80$/m, '  port: 80\n  manager: keepalived'));
    figures.interruptsTried++;
    const run = startLab(['up', copy.file, ...LEAST], { env: engine.env, timeoutMs: 120_000 });
    expect(await run.until('Checking the environment'), run.output()).toBe(true);
    let probes: Docker.ContainerInfo[] = [];
    while (probes.length === 0 && run.child.exitCode === null) probes = await engine.docker.listContainers({ all: true, filters: JSON.stringify({ label: [PROBE_LABEL] }) });
    expect(probes.length, `no probe seen before lab ended:\n${run.output()}`).toBeGreaterThan(0);
    engine.freeze();
    run.child.kill('SIGINT');
    await sleep(500); // lab catches the signal while the engine cannot answer: its cleanup has to wait for it
    engine.thaw();
    const r = await run.done;
    expect(r.exitCode, r.stderr).toBe(130);
    expect(r.stderr).toContain('error: Interrupted by SIGINT during the checks before anything is made.');
    expectTidyError(r);
    expect(await engine.docker.listContainers({ all: true, filters: JSON.stringify({ label: [PROBE_LABEL] }) })).toEqual([]);
    expect(await leftovers(engine.docker, copy, runIdOf(r))).toEqual([]);
    figures.interrupts++;
  }, 150_000);

  it('`lab doctor --json` interrupted while a probe is live on a frozen engine: exit 130, one JSON document, no probe left', async () => {
    const copy = await copyOfFreeRrBasic(engine.docker);
    const run = startLab(['doctor', copy.file, '--json'], { env: engine.env, timeoutMs: 120_000 });
    const probeFilter = { all: true, filters: JSON.stringify({ label: [PROBE_LABEL] }) };
    let probes: Docker.ContainerInfo[] = [];
    while (probes.length === 0 && run.child.exitCode === null) probes = await engine.docker.listContainers(probeFilter);
    expect(probes.length, `no probe seen before lab ended:\n${run.output()}`).toBeGreaterThan(0);
    engine.freeze();
    run.child.kill('SIGINT');
    await sleep(500); // the signal lands while the engine cannot answer: the probe's removal has to wait for it
    engine.thaw();
    const r = await run.done;
    expect(r.exitCode, r.stderr).toBe(130);
    expect(JSON.parse(r.stdout)).toMatchObject({
      schema: 'lvs-lab/doctor@1',
      ok: false,
      error: { message: 'Interrupted by SIGINT: removed the probe containers in flight.', exitCode: 130 },
    });
    expect(await engine.docker.listContainers(probeFilter)).toEqual([]);
  }, 150_000);

  it('engine frozen (SIGSTOP) at "Create the network": exit 3 naming the frozen engine and the fix, no hang; its fix `lab teardown` leaves nothing once it thaws', async () => {
    const copy = await copyOfFreeRrBasic(engine.docker);
    const run = startLab(['up', copy.file, '--no-doctor', ...LEAST], { env: engine.impatientEnv, timeoutMs: 120_000 });
    expect(await run.until('==> Create the network'), run.output()).toBe(true);
    engine.freeze();
    const r = await run.done.finally(() => engine.thaw());
    expect(r.exitCode, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/^error: The Docker engine unix:\/\/\S+ \(from DOCKER_HOST\) did not answer within 5 s \(/m);
    expect(r.stderr).toContain('fix: Check it with `docker info`');
    expect(r.stderr).toContain(`Could not remove what this run made: The Docker engine unix://${engine.socket} (from DOCKER_HOST) did not answer`);
    expect(r.stderr).toContain(`\`lab teardown ${copy.lab}\``);
    expectTidyError(r);
    const down = await lab(['teardown', copy.lab], { env: engine.env });
    expect(down.exitCode, down.stderr).toBe(0);
    expect(await leftovers(engine.docker, copy, runIdOf(r))).toEqual([]);
    figures.engineLosses++;
  }, 150_000);

  it('engine stopped (SIGTERM) at "Create the network": exit 3 with the fix, no stack trace; restarted, `lab teardown` leaves nothing', async () => {
    const copy = await copyOfFreeRrBasic(engine.docker);
    const run = startLab(['up', copy.file, '--no-doctor', ...LEAST], { env: engine.env, timeoutMs: 120_000 });
    expect(await run.until('==> Create the network'), run.output()).toBe(true);
    await engine.stop();
    const r = await run.done;
    expect(r.exitCode, r.stderr).toBe(3);
    // Gone before lab's next call, or still shutting down when it came: either way the engine is named, with the fix.
    const gone = /^error: No Docker engine answers at unix:\/\/\S+ \(from DOCKER_HOST; (ENOENT|ECONNREFUSED|ECONNRESET|EPIPE)\)\.\nfix: Start Docker/m;
    const shuttingDown = /^error: Docker could not (create network \S+|start \S+|run `.+` on \S+): .+\nfix: Look at the engine: `docker info`/m;
    // Or the engine had already stopped the containers it was asked to run commands in.
    const stoppedFirst = /^error: Container \S+ stopped \((exit 1[34]7, killed from outside|gone)\) (before a command could run in it|while `.+` ran in it|before `.+` could start in it)\.\n(.*\n)*fix: Something stopped it: the engine shutting down/m;
    expect([gone, shuttingDown, stoppedFirst].some((outcome) => outcome.test(r.stderr)), r.stderr).toBe(true);
    expectTidyError(r);
    await engine.start();
    const down = await lab(['teardown', copy.lab], { env: engine.env });
    expect(down.exitCode, down.stderr).toBe(0);
    expect(await leftovers(engine.docker, copy, runIdOf(r))).toEqual([]);
    figures.engineLosses++;
  }, 150_000);
});
