import { createReadStream } from 'node:fs';
import { once } from 'node:events';
import { PassThrough, type Readable, Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
// dockerode is loaded on the first connect: `lab list`, `--help` and `--dry-run` never pay for it.
import type Docker from 'dockerode';
import { environmentError, LabError } from '../errors.js';
import type { LabelFilter } from '../labels.js';
import { containerCommand, SYSTEMD_STOP_SIGNAL } from './container-command.js';
import { describeEngine, dockerOptions, resolveEngine, type Engine } from './engine.js';
import { hostKeyRefusal } from './known-hosts.js';
import { ShellSession } from './shell-session.js';
import { sshDialStdioAgent } from './ssh-agent.js';
import {
  PRIVILEGED_REFUSED_FIX,
  PRIVILEGED_REFUSED_PATTERN,
  privilegedRefused,
  profileHostConfig,
} from './privilege.js';
import type {
  ContainerSpec,
  EngineContainer,
  EngineInfo,
  EngineNetwork,
  NetworkSpec,
  OneShotResult,
  OneShotSpec,
} from './types.js';

export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number;
  timedOut: boolean;
}

/** The exit code of a command whose kept shell went away while it ran, in a container still running. */
const SHELL_LOST = 255;

export interface ExecOptions {
  /** Out of time after this long: the result says timedOut (exit 124 in a kept shell). */
  timeoutMs?: number | undefined;
  /** Each piece of stdout as it arrives (the result still holds all of it). */
  onStdout?: ((text: string) => void) | undefined;
}

const labelFilter = (filters: LabelFilter | LabelFilter[]) =>
  JSON.stringify({ label: [filters].flat().map((f) => (f.value === undefined ? f.key : `${f.key}=${f.value}`)) });

/**
 * How long one Engine API call may take before the engine counts as frozen: LVS_LAB_ENGINE_TIMEOUT
 * seconds, default 30 (a busy engine creates a container in well under that).
 */
export function engineTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const seconds = Number(env.LVS_LAB_ENGINE_TIMEOUT);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 30_000;
}
/** Calls that legitimately last long (a container's exit, an image import or build): their own bound. */
const LONG_CALL_MS = 20 * 60_000;
const LONG_CALL = /\/(wait|build)(\?|$)|\/images\/create/;

interface DialOptions {
  path: string;
  method: string;
  hijack?: boolean;
  abortSignal?: AbortSignal;
}
type DialCallback = (err: unknown, data: unknown) => void;

/** Creating, starting or connecting a container: the calls `up` sends for every node at once. */
const MAKING_CONTAINER = /\/containers\/create$|\/containers\/[^/]+\/start$|\/networks\/[^/]+\/connect$/;
/** Those, and removing a container (`teardown` removes every node at once): the calls that share the engine. */
const sharesEngine = ({ method, path }: DialOptions) => {
  const route = path.split('?')[0]!;
  return MAKING_CONTAINER.test(route) || (method === 'DELETE' && /^\/containers\/[^/]+$/.test(route));
};

/**
 * Every Engine API call goes through the modem's dial: bound each one in time (until the engine answers;
 * a stream's body is its caller's to bound) and turn a lost or frozen engine into a LabError (exit 3).
 * Containers made or removed at once (`up` starts every node together, `teardown` removes them so) share
 * the engine, and a busy one handles them one after another: such a call may take the time of every such
 * call in flight with it, before or after.
 */
function guardEngine(docker: Docker, engine: Engine, timeoutMs: number): void {
  const modem = docker.modem as unknown as { dial: (o: DialOptions, cb: DialCallback) => void };
  const dial = modem.dial.bind(modem);
  const making = { inFlight: 0, sent: 0 };
  modem.dial = (options, callback) => {
    const sharing = sharesEngine(options);
    const before = making.inFlight;
    const sentAt = making.sent;
    if (sharing) {
      making.inFlight++;
      making.sent++;
    }
    const sharers = () => (sharing ? before + making.sent - sentAt : 1);
    const bound = () => (LONG_CALL.test(options.path) ? LONG_CALL_MS : timeoutMs * sharers());
    const started = performance.now();
    const abort = new AbortController();
    let timedOut = false;
    let timer: NodeJS.Timeout;
    const arm = () => {
      timer = setTimeout(() => {
        if (performance.now() - started < bound()) return arm(); // more sharers came since: wait longer
        timedOut = true;
        abort.abort();
      }, Math.max(bound() - (performance.now() - started), 1));
    };
    arm();
    options.abortSignal?.addEventListener('abort', () => abort.abort(), { once: true }); // its caller's, too
    dial({ ...options, abortSignal: abort.signal }, (err, data) => {
      clearTimeout(timer);
      if (sharing) making.inFlight--;
      if (timedOut) callback(engineNotAnswering(engine, bound(), `${options.method} ${options.path.split('?')[0]}`), null);
      else callback(err && isConnectionError(err) ? engineUnreachable(engine, err) : err, data);
    });
  };
}

const CONNECTION_ERRORS = new Set(
  ['ENOENT', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTCONN', 'EHOSTUNREACH', 'ETIMEDOUT'],
);
// ssh2 (a ssh:// engine) marks its own errors with a level: client-socket, client-timeout, client-authentication.
const isConnectionError = (err: unknown) =>
  CONNECTION_ERRORS.has((err as { code?: string }).code ?? '') || /socket hang up/i.test(errorMessage(err)) ||
  typeof (err as { level?: unknown }).level === 'string';

/** Engine API calls over one ssh login (sshDialStdioAgent) instead of docker-modem's login per call. */
function overOneSshLogin(options: Docker.DockerOptions): Docker.DockerOptions {
  const { host, port, username, sshOptions } = options as Docker.DockerOptions & { host: string; port: number };
  // docker-modem takes an `agent` for every protocol; @types/dockerode does not list it.
  const agent = sshDialStdioAgent({ ...sshOptions, host, port, username });
  return { protocol: 'http', host, port, agent } as Docker.DockerOptions;
}

/** A create (or join) on its way to the engine: it may land even after its caller stopped waiting. */
type CreateInFlight = Promise<unknown>;

/**
 * A thin client over dockerode, the only place it is used: the few Engine API calls a lab needs, in lab's
 * types (types.ts), with errors people can act on.
 */
export class DockerRuntime {
  private readonly creates = new Set<CreateInFlight>();
  private refusal: LabError | undefined;
  /** Where exec runs for a name it is given: the same name, unless scoped to a lab (withContainerNames). */
  private execTarget: (name: string) => string = (name) => name;
  /** Containers with a shell kept open (withShells, a pool's), by container name: exec runs there while it is free. */
  private shells = new Map<string, ShellSession>();
  /** Where keepShell keeps the shells it opens (withShellPool); none: keepShell opens nothing. */
  private pool: Map<string, ShellSession> | undefined;

  constructor(
    private readonly docker: Docker,
    timeoutMs = engineTimeoutMs(),
    /** The engine `docker` reaches, as messages name it. */
    readonly engine: Engine = resolveEngine(),
  ) {
    guardEngine(docker, engine, timeoutMs);
  }

  /** Connects to the engine resolveEngine names (DOCKER_HOST, a Docker context, the default socket); checks it answers. */
  static async connect(env: NodeJS.ProcessEnv = process.env): Promise<DockerRuntime> {
    const engine = resolveEngine(env);
    const timeoutMs = engineTimeoutMs(env);
    const options = dockerOptions(engine, timeoutMs, env);
    const { default: Docker } = await import('dockerode');
    const runtime = new DockerRuntime(new Docker(engine.ssh ? overOneSshLogin(options) : options), timeoutMs, engine);
    try {
      await runtime.docker.ping();
    } catch (err) {
      throw err instanceof LabError ? err : engineUnreachable(engine, err);
    }
    return runtime;
  }

  /**
   * This connection, its in-flight creates and refusals shared, with exec given a lab's node name (`rs1`)
   * running on that node's container (`alice-rs1` in an instance): every step and check names nodes.
   */
  withContainerNames(containerOf: (name: string) => string): DockerRuntime {
    const scoped = Object.create(this) as DockerRuntime;
    scoped.execTarget = containerOf;
    return scoped;
  }

  /**
   * This connection with one `sh` kept open in each of NAMES' containers (ShellSession): exec there costs a
   * fork instead of an exec while that shell is free (a second command at once gets an exec of its own).
   * `close` ends the shells; until then they keep the process alive.
   */
  async withShells(names: string[]): Promise<{ runtime: DockerRuntime; close: () => void }> {
    // A shell this connection keeps already (keepShell) is used, not opened again; `close` leaves it open.
    const targets = names.map((n) => this.execTarget(n)).filter((t) => !this.shells.get(t)?.open);
    const opened = await Promise.allSettled(targets.map((t) => this.openShell(t)));
    const shells = opened.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    const close = () => shells.forEach((s) => s.close());
    const failed = opened.find((o) => o.status === 'rejected');
    if (failed) {
      close();
      throw failed.reason;
    }
    const scoped = Object.create(this) as DockerRuntime;
    scoped.shells = new Map([...this.shells, ...targets.map((t, i): [string, ShellSession] => [t, shells[i]!])]);
    return { runtime: scoped, close };
  }

  /**
   * This connection with a pool of kept shells, empty at first: keepShell opens one on a node, which every
   * exec there uses from then on (`up` opens one as each node starts, and its verify uses them too).
   * `close` ends them all.
   */
  withShellPool(): { runtime: DockerRuntime; close: () => void } {
    const scoped = Object.create(this) as DockerRuntime;
    const pool = new Map<string, ShellSession>();
    [scoped.shells, scoped.pool] = [pool, pool];
    const close = () => {
      scoped.pool = undefined; // closed: work still going (an interrupted up's) opens no shell that nobody closes
      pool.forEach((s) => s.close());
    };
    return { runtime: scoped, close };
  }

  /**
   * With a pool (withShellPool), a shell kept open on NAME's container from now on; without one, nothing.
   * A shell that does not open is no error: exec runs execs there, and says what went wrong.
   */
  async keepShell(name: string): Promise<void> {
    const target = this.execTarget(name);
    if (!this.pool || this.pool.get(target)?.open) return;
    const shell = await this.openShell(target).catch(() => undefined);
    if (shell) this.pool.set(target, shell);
  }

  private async openShell(target: string): Promise<ShellSession> {
    const shell = await this.docker
      .getContainer(target)
      .exec({ Cmd: ['sh'], AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: false })
      .catch(this.refusedIn(target));
    const stream = await shell.start({ hijack: true, stdin: true }).catch(this.refusedIn(target));
    return new ShellSession(stream, (s, stdout, stderr) => this.docker.modem.demuxStream(s, stdout, stderr));
  }

  /** An exec the engine refused because the container is not running: says so (stoppedError); else as it came. */
  private refusedIn(target: string) {
    return async (err: unknown) => Promise.reject(notRunning(err) ? await this.stoppedError(target) : err);
  }

  /**
   * From now on every create fails with this error (an interrupted run makes nothing more); resolves once
   * the creates already sent have settled, so a list afterwards sees all they made.
   */
  async refuseCreates(reason: LabError): Promise<void> {
    this.refusal = reason;
    await this.createsSettled();
  }

  /** Resolves once every create sent so far has been answered (or timed out). */
  async createsSettled(): Promise<void> {
    await Promise.allSettled([...this.creates]);
  }

  /** Runs one create, tracked until the engine answers; refused once refuseCreates was called. */
  private async tracked<T>(create: () => Promise<T>): Promise<T> {
    if (this.refusal) throw this.refusal;
    const call = create();
    this.creates.add(call);
    try {
      return await call;
    } finally {
      this.creates.delete(call);
    }
  }

  /** `docker create`, tracked (see refuseCreates). */
  private createContainer(options: Docker.ContainerCreateOptions): Promise<Docker.Container> {
    return this.tracked(() => this.docker.createContainer(options));
  }

  /**
   * Waits for a container to exit (or to be gone: `removed`): its exit code, or 'timeout' after timeoutMs (the
   * wait's request ended too).
   */
  private async waitContainer(
    container: Docker.Container, timeoutMs: number, condition: 'not-running' | 'removed' = 'not-running',
  ): Promise<number | 'timeout'> {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), timeoutMs);
    try {
      const waited = (await container.wait({ condition, abortSignal: abort.signal })) as { StatusCode: number };
      return waited.StatusCode;
    } catch (err) {
      if (abort.signal.aborted) return 'timeout';
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Creates and starts a container with no network, waits up to timeoutMs for it to exit and reads what it
   * printed. Never removes it: the caller removes it by name whatever happened (a create whose answer was
   * lost may still land).
   */
  async runToExit(spec: OneShotSpec, timeoutMs: number): Promise<OneShotResult> {
    const container = await this.createContainer({
      name: spec.name,
      Image: spec.image,
      Cmd: spec.cmd,
      Labels: spec.labels,
      HostConfig: { ...profileHostConfig(spec.privilege), Init: spec.tinyInit, NetworkMode: 'none', AutoRemove: false },
    });
    await container.start();
    const exitCode = await this.waitContainer(container, timeoutMs);
    if (exitCode === 'timeout') return exitCode;
    return { exitCode, ...(await this.logs(spec.name)) };
  }

  async version(): Promise<{ version: string; apiVersion: string }> {
    const v = await this.docker.version();
    return { version: v.Version, apiVersion: v.ApiVersion };
  }

  async info(): Promise<EngineInfo> {
    const { CgroupVersion, CgroupDriver } = (await this.docker.info()) as EngineInfo;
    return { CgroupVersion, CgroupDriver };
  }

  async imageExists(name: string): Promise<boolean> {
    try {
      await this.docker.getImage(name).inspect();
      return true;
    } catch (err) {
      if (statusOf(err) === 404) return false;
      throw err;
    }
  }

  /** `docker import`: a root filesystem tarball becomes an image, no registry involved. */
  async importImage(tarPath: string, repoTag: string, changes: string[]): Promise<void> {
    const [repo, tag = 'latest'] = splitRepoTag(repoTag);
    const stream = await this.docker.importImage(createReadStream(tarPath), { repo, tag, changes });
    await this.followProgress(stream, 'image import', () => undefined);
  }

  /** `docker build` of a directory with a Dockerfile, through the API; each output line goes to onLine. */
  async buildImage(contextDir: string, tag: string, onLine: (line: string) => void): Promise<void> {
    const stream = await this.docker.buildImage({ context: contextDir, src: ['Dockerfile'] }, { t: tag });
    await this.followProgress(stream, 'image build', (event) => {
      const text = (event.stream ?? event.status ?? '').trimEnd();
      if (text) onLine(text);
    });
  }

  /** An import's or build's progress stream to its end, its first error thrown; bounded like every long call. */
  private followProgress(
    stream: NodeJS.ReadableStream,
    what: string,
    onEvent: (event: { stream?: string; status?: string }) => void,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        (stream as unknown as { destroy?: () => void }).destroy?.();
        reject(engineNotAnswering(this.engine, LONG_CALL_MS, what));
      }, LONG_CALL_MS);
      const done = (err: Error | null, output: Array<{ error?: string }>) => {
        clearTimeout(timer);
        const failed = output?.find((o) => o.error);
        if (err || failed) reject(new Error(err?.message ?? failed!.error));
        else resolve();
      };
      this.docker.modem.followProgress(stream, done, onEvent);
    });
  }

  async createNetwork(spec: NetworkSpec): Promise<void> {
    try {
      await this.tracked(() => this.docker.createNetwork({
        Name: spec.name,
        Driver: 'bridge',
        CheckDuplicate: true,
        Internal: spec.internal,
        IPAM: { Driver: 'default', Config: [{ Subnet: spec.subnet }] },
        Labels: spec.labels,
      }));
    } catch (err) {
      const message = errorMessage(err);
      if (statusOf(err) === 409) throw nameTaken('network', spec.name, message);
      if (/overlaps/i.test(message)) {
        throw environmentError(
          `Docker cannot create network ${spec.name}: subnet ${spec.subnet} overlaps a network that already exists.`,
          'Find it with `docker network ls` and `docker network inspect`; remove it if it is a leftover, ' +
            'or copy the scenario and give it another subnet.',
          [message],
        );
      }
      throw err;
    }
  }

  /** Create, join every network with its fixed address, start: `docker run -d ... --net N --ip A`. */
  async runContainer(spec: ContainerSpec): Promise<void> {
    const [first, ...more] = spec.interfaces;
    const systemd = spec.init === 'systemd';
    const container = await this.createContainer({
      name: spec.name,
      Hostname: spec.hostname,
      Image: spec.image,
      Cmd: containerCommand(spec),
      Labels: spec.labels,
      StopSignal: systemd ? SYSTEMD_STOP_SIGNAL : 'SIGTERM',
      HostConfig: {
        ...profileHostConfig(spec.privilege),
        NetworkMode: first!.network,
        Init: !systemd,
        // systemd needs a cgroup tree of its own to boot as PID 1.
        ...(systemd ? { CgroupnsMode: 'private' as const } : {}),
        Sysctls: spec.sysctls,
      },
      NetworkingConfig: { EndpointsConfig: { [first!.network]: { IPAMConfig: { IPv4Address: first!.address } } } },
    }).catch((err: unknown) =>
      Promise.reject(statusOf(err) === 409 ? nameTaken('container', spec.name, errorMessage(err)) : err));
    try {
      await container.start();
    } catch (err) {
      const message = errorMessage(err);
      if (PRIVILEGED_REFUSED_PATTERN.test(message) && spec.privilege === 'privileged') {
        throw environmentError(`${privilegedRefused(`${spec.name}: ${message.trim()}`)}.`, PRIVILEGED_REFUSED_FIX);
      }
      throw err;
    }
    // Joined after the start, one at a time, so eth1, eth2... follow the scenario's order: networks
    // joined before the start are attached in an order of the engine's choosing (by name, on some).
    for (const iface of more) {
      const endpoint = { Container: container.id, EndpointConfig: { IPAMConfig: { IPv4Address: iface.address } } };
      await this.tracked(() => this.docker.getNetwork(iface.network).connect(endpoint));
    }
  }

  /** Runs argv in a container; output is streamed to the given sinks, the exit code returned. */
  async execStream(
    container: string,
    argv: string[],
    sinks: { stdout: Writable; stderr: Writable },
    opts: { timeoutMs?: number } = {},
  ): Promise<{ exitCode: number; timedOut: boolean }> {
    const target = this.execTarget(container);
    const refused = this.refusedIn(target);
    const exec = await this.docker
      .getContainer(target)
      .exec({ Cmd: argv, AttachStdout: true, AttachStderr: true, Tty: false })
      .catch(refused);
    const stream = await exec.start({ hijack: true, stdin: false }).catch(refused);
    this.docker.modem.demuxStream(stream, sinks.stdout, sinks.stderr);
    let timedOut = false;
    await new Promise<void>((resolve, reject) => {
      const timer = opts.timeoutMs
        ? setTimeout(() => {
            timedOut = true;
            stream.destroy();
            resolve();
          }, opts.timeoutMs)
        : undefined;
      const done = () => {
        if (timer) clearTimeout(timer);
        resolve();
      };
      stream.on('end', done);
      stream.on('close', done);
      stream.on('error', (err) => {
        if (timer) clearTimeout(timer);
        reject(err);
      });
    });
    // A silent stream may be a frozen engine rather than a slow command: a ping (bounded) tells them apart.
    if (timedOut) return this.docker.ping().then(() => ({ exitCode: 124, timedOut }));
    // The stream can end a moment before the engine records the exit code.
    for (let i = 0; i < 50; i++) {
      const info = await exec.inspect();
      if (!info.Running && info.ExitCode !== null) {
        // A command killed with its container (the engine stopping it), or that runc could not start in a
        // container being stopped ("OCI runtime exec failed", 126), is not the command failing.
        const killed = KILLED_EXIT_CODES.includes(info.ExitCode);
        if ((killed || info.ExitCode === EXEC_NOT_STARTED) && (await this.stopsSoon(target))) {
          const command = `\`${argv.join(' ')}\``;
          throw await this.stoppedError(target, killed ? `while ${command} ran in it` : `before ${command} could start in it`);
        }
        return { exitCode: info.ExitCode, timedOut };
      }
      await sleep(20);
    }
    throw new Error(`exec of ${argv.join(' ')} in ${container} did not report an exit code`);
  }

  /**
   * Was the container stopped, or is it being stopped? Its commands die a moment before the engine marks it,
   * so a running one counts as stopping if the engine signalled it (`docker stop`, `kill`, the engine shutting
   * down) since it started; then it is given a stop's grace to be marked stopped.
   */
  private async stopsSoon(container: string): Promise<boolean> {
    const c = this.docker.getContainer(container);
    const state = await c.inspect().then((i) => i.State, () => undefined);
    if (!state?.Running) return true;
    if (!(await this.signalledSince(c.id, state.StartedAt).catch(() => false))) return false;
    await this.waitContainer(c, STOP_GRACE_MS).catch(() => undefined);
    return true;
  }

  /**
   * Did the engine log a `kill`, `die` or `stop` for the container from `startedAt` (its clock) until a moment
   * from now? The moment: a busy engine can end the commands of a container it stops before it logs the kill.
   */
  private async signalledSince(id: string, startedAt: string): Promise<boolean> {
    const now = Date.parse((await this.docker.info()).SystemTime as string);
    const filters = { type: ['container' as const], container: [id], event: ['kill', 'die', 'stop'] };
    const window = { since: Date.parse(startedAt) / 1000, until: (now + LATE_SIGNAL_MS) / 1000 };
    const stream = (await this.docker.getEvents({ ...window, filters })) as Readable;
    return new Promise<boolean>((resolve, reject) => {
      const settle = (signalled: boolean) => {
        clearTimeout(timer);
        stream.destroy();
        resolve(signalled);
      };
      const timer = setTimeout(() => settle(false), LATE_SIGNAL_MS + 5000); // an engine that froze meanwhile
      stream.once('data', () => settle(true));
      stream.once('end', () => settle(false));
      stream.once('error', reject);
    });
  }

  /** What a container printed (its last `tail` lines, or all), stdout and stderr apart. */
  private async logs(container: string, tail?: number): Promise<{ stdout: string; stderr: string }> {
    const options = { stdout: true, stderr: true, follow: false as const, ...(tail ? { tail } : {}) };
    const framed = new PassThrough();
    const [stdout, stderr] = [collector(), collector()];
    this.docker.modem.demuxStream(framed, stdout.sink, stderr.sink);
    framed.end(await this.docker.getContainer(container).logs(options));
    await once(framed, 'end');
    return { stdout: stdout.text(), stderr: stderr.text() };
  }

  /** A container that exited when a command was due or running in it: what it printed last says why. */
  private async stoppedError(container: string, when = 'before a command could run in it'): Promise<LabError> {
    const c = this.docker.getContainer(container);
    const exitCode = await c.inspect().then((i) => i.State.ExitCode, () => undefined);
    const logs = await this.logs(container, 5).then((l) => `${l.stdout}${l.stderr}`.trim(), () => '');
    const state = exitCode === undefined ? 'gone' : `exit ${exitCode}`;
    const killed = exitCode !== undefined && KILLED_EXIT_CODES.includes(exitCode);
    return environmentError(
      `Container ${container} stopped (${state}${killed ? ', killed from outside' : ''}) ${when}.`,
      killed || exitCode === undefined
        ? 'Something stopped it: the engine shutting down or restarting (`docker info`), a `docker stop`, or the ' +
            'out-of-memory killer (`dmesg`). Then remove the lab with `lab teardown` and `lab up` again.'
        : `See what it printed: \`docker logs ${container}\` (\`--keep-on-failure\` keeps it); on a cgroup v2 host, ` +
            'systemd nodes need `--privilege privileged` or `capabilities`, or `--init none`.',
      logs ? [logs] : [],
    );
  }

  /** `docker exec` returning demuxed stdout, stderr and the exit code, like testcontainers' exec. */
  async exec(container: string, argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const shell = this.shells.get(this.execTarget(container));
    if (shell?.available) {
      const result = await this.execInShell(shell, container, argv, opts);
      if (result) return result;
    }
    const stdout = collector(opts.onStdout);
    const stderr = collector();
    const sinks = { stdout: stdout.sink, stderr: stderr.sink };
    const { exitCode, timedOut } = await this.execStream(container, argv, sinks, opts);
    return { stdout: stdout.text(), stderr: stderr.text(), exitCode, timedOut };
  }

  /**
   * ARGV in a kept shell, bounded like an exec (exit 124 when out of time, with what it printed: the shell is
   * closed, the next command gets an exec). When the shell went away first in a running container (its sh
   * killed, the stream broken): undefined if nothing of the command came, and the caller runs it in an exec of
   * its own; else it ran, at least in part, and must not run twice (a batch of `up`): exit SHELL_LOST.
   */
  private async execInShell(
    shell: ShellSession, container: string, argv: string[], { timeoutMs, onStdout }: ExecOptions,
  ): Promise<ExecResult | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const outOfTime = new Promise<'timeout'>((resolve) => {
      if (timeoutMs) timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const result = await Promise.race([shell.run(argv, onStdout), outOfTime]);
    clearTimeout(timer);
    if (result === 'timeout') {
      const { stdout = '', stderr = '' } = shell.close() ?? {};
      return this.docker.ping().then(() => ({ stdout, stderr, exitCode: 124, timedOut: true }));
    }
    if (!('cutOff' in result)) return { ...result, timedOut: false };
    const target = this.execTarget(container);
    if (await this.stopsSoon(target)) throw await this.stoppedError(target, `while \`${argv.join(' ')}\` ran in it`);
    if (!result.stdout && !result.stderr) return undefined;
    const lost = `\nlab: the connection to ${target}'s shell broke before this command ended.\n`;
    return { stdout: result.stdout, stderr: result.stderr + lost, exitCode: SHELL_LOST, timedOut: false };
  }

  /** An interactive TTY session (`lab shell`): the user's terminal is wired to the process until it exits. */
  async execInteractive(container: string, argv: string[]): Promise<number> {
    const exec = await this.docker.getContainer(this.execTarget(container)).exec({
      Cmd: argv,
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Tty: true,
      Env: [`TERM=${process.env.TERM ?? 'xterm'}`],
    });
    const stream = await exec.start({ hijack: true, stdin: true, Tty: true });
    const stdin = process.stdin;
    const wasRaw = stdin.isTTY ? stdin.isRaw : false;
    if (stdin.isTTY) stdin.setRawMode(true);
    const resize = () =>
      void exec.resize({ h: process.stdout.rows, w: process.stdout.columns }).catch(() => undefined);
    if (process.stdout.isTTY) {
      resize();
      process.stdout.on('resize', resize);
    }
    stdin.pipe(stream);
    stream.pipe(process.stdout);
    await new Promise<void>((resolve) => {
      stream.on('end', resolve);
      stream.on('close', resolve);
    });
    stdin.unpipe(stream);
    if (stdin.isTTY) stdin.setRawMode(wasRaw);
    stdin.pause();
    process.stdout.off('resize', resize);
    const info = await exec.inspect();
    return info.ExitCode ?? 0;
  }

  /** Every container (running or not) carrying the labels; without a filter, every one the engine has. */
  async listContainers(filter?: LabelFilter | LabelFilter[]): Promise<EngineContainer[]> {
    const list = await this.docker.listContainers({ all: true, ...(filter ? { filters: labelFilter(filter) } : {}) });
    return list.map((c) => {
      const endpoints = Object.entries(c.NetworkSettings?.Networks ?? {});
      return {
        id: c.Id,
        name: (c.Names[0] ?? c.Id).replace(/^\//, ''),
        state: c.State,
        created: c.Created,
        labels: c.Labels ?? {},
        addresses: Object.fromEntries(endpoints.map(([net, ep]) => [net, ep.IPAddress])),
        macs: Object.fromEntries(endpoints.map(([net, ep]) => [net, (ep.MacAddress ?? '').toLowerCase()])),
      };
    });
  }

  /** Every network carrying the labels; without a filter, every one the engine has (IPv4 subnets or not). */
  async listNetworks(filter?: LabelFilter | LabelFilter[]): Promise<EngineNetwork[]> {
    const list = await this.docker.listNetworks(filter ? { filters: labelFilter(filter) } : {});
    return list.map((n) => ({
      id: n.Id,
      name: n.Name,
      subnets: (n.IPAM?.Config ?? []).flatMap((c) => (c.Subnet ? [c.Subnet] : [])),
      labels: n.Labels ?? {},
    }));
  }

  /** `docker stop -t SECONDS`: the container's stop signal, then SIGKILL after that long. */
  async stopContainer(id: string, seconds: number): Promise<void> {
    await this.docker.getContainer(id).stop({ t: seconds });
  }

  /** `docker kill --signal`: one signal to the container's PID 1. */
  async signalContainer(id: string, signal: NodeJS.Signals): Promise<void> {
    await this.docker.getContainer(id).kill({ signal });
  }

  /**
   * A container's resident memory from the engine's stats (`docker stats`' source): cgroup v1 reports `rss`;
   * cgroup v2 has no such field, there `anon` is the same memory (the processes' own, no page cache). Either
   * missing: usage minus the inactive page cache, what `docker stats` shows.
   */
  async memoryRss(id: string): Promise<{ bytes: number; field: 'rss' | 'anon' | 'usage - inactive_file' }> {
    const { memory_stats: m } = await this.docker.getContainer(id).stats({ stream: false, 'one-shot': true });
    const s = (m.stats ?? {}) as Partial<Record<string, number>>;
    if (s.rss !== undefined) return { bytes: s.rss, field: 'rss' };
    if (s.anon !== undefined) return { bytes: s.anon, field: 'anon' };
    return { bytes: m.usage - (s.inactive_file ?? s.total_inactive_file ?? 0), field: 'usage - inactive_file' };
  }

  /** The container's state as the engine says it: running, exited, ... */
  async containerStatus(id: string): Promise<string> {
    return (await this.docker.getContainer(id).inspect()).State.Status;
  }

  /** Kill and remove; a container that is already gone is not an error (teardown can run twice). */
  async removeContainer(id: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.docker.getContainer(id).remove({ force: true, v: true });
      } catch (err) {
        if (statusOf(err) === 404) return;
        // Another call is removing it (an interrupt's cleanup and a probe's own): removed once it is gone.
        if (/already in progress/i.test(errorMessage(err))) {
          await this.waitContainer(this.docker.getContainer(id), STOP_GRACE_MS, 'removed').catch(() => undefined);
          return;
        }
        // A busy engine gives up waiting for the killed container's exit event (seen in UML under load):
        // the kill was sent, so wait for the exit and remove again.
        if (!EXIT_EVENT_MISSED.test(errorMessage(err))) throw err;
        if (attempt >= KILL_RETRIES) throw unkillable(id, err);
        await this.docker.getContainer(id).wait({ condition: 'not-running' }).catch(() => undefined);
      }
    }
  }

  async removeNetwork(id: string): Promise<void> {
    try {
      await this.docker.getNetwork(id).remove();
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
    }
  }
}

/** SIGKILL and SIGTERM (128 + signal): what a container, or a command in it, exits with when stopped from outside. */
const KILLED_EXIT_CODES = [137, 143];
/** The exit code of an exec the runtime could not start (as `docker exec` gives it). */
const EXEC_NOT_STARTED = 126;
/** How long after a command died a busy engine may still log the signal that killed it. */
const LATE_SIGNAL_MS = 2000;
/** `docker stop`'s default grace before it kills, and a margin. */
const STOP_GRACE_MS = 15_000;

/** The engine refuses a command in a stopped container: 409, or 500 "is not running" while it shuts down. */
function notRunning(err: unknown): boolean {
  return statusOf(err) === 409 || /is not running|cannot exec in a stopped/i.test(errorMessage(err));
}

/** Two `up`s of one lab race: the engine refuses the second create of a name with 409. */
function nameTaken(kind: 'network' | 'container', name: string, message: string): LabError {
  return environmentError(
    `Docker already has a ${kind} named ${name}.`,
    `Find it with \`docker ${kind} ls${kind === 'container' ? ' -a' : ''}\`; lab never removes what it did not make: ` +
      'remove it yourself if it is a leftover, or copy the scenario and rename yours.',
    [message.trim()],
  );
}

function engineNotAnswering(engine: Engine, ms: number, call: string): LabError {
  return environmentError(
    `The Docker ${describeEngine(engine)} did not answer within ${ms / 1000} s (${call}): it is frozen, overloaded or gone.`,
    'Check it with `docker info`; restart it if it hangs (`sudo systemctl restart docker`). ' +
      'For a slow engine allow more time: LVS_LAB_ENGINE_TIMEOUT=SECONDS (default 30).',
  );
}

function engineUnreachable(engine: Engine, err: unknown): LabError {
  const code = (err as { code?: string }).code;
  const why = `${engine.host} (${engine.source}; ${code ?? errorMessage(err)})`;
  if (engine.ssh) return sshUnreachable(engine, err, why);
  if (code === 'EACCES') {
    return environmentError(
      `Permission denied on the Docker socket ${why}.`,
      'Add yourself to the docker group (`sudo usermod -aG docker $USER`, then log in again), or run lab with sudo.',
    );
  }
  return environmentError(
    `No Docker engine answers at ${why}.`,
    'Start Docker (`sudo systemctl start docker`, or start Docker Desktop), or point DOCKER_HOST at a running engine ' +
      '(e.g. DOCKER_HOST=unix:///run/user/1000/docker.sock for rootless Docker, ssh://USER@HOST for a remote one).',
  );
}

/**
 * Over ssh each call logs in and runs `docker system dial-stdio` as the remote user: the login failed
 * (ssh2 marks its errors with a level), or it worked and the remote docker ended without answering.
 */
function sshUnreachable(engine: Engine, err: unknown, why: string): LabError {
  const url = new URL(engine.host);
  const refused = hostKeyRefusal(url.hostname, Number(url.port || 22));
  if (refused) return refused;
  const target = `${url.port ? `-p ${url.port} ` : ''}${url.username ? `${url.username}@` : ''}${url.hostname}`;
  const tryIt = `check by hand with \`ssh ${target} docker version\``;
  const level = (err as { level?: string }).level;
  const said = errorMessage(err);
  if (level === 'client-authentication' || /authentication|privateKey|passphrase/i.test(said)) {
    return environmentError(
      `ssh refused lab's login to the Docker engine at ${engine.host} (${engine.source}): ${said}.`,
      'Give lab a key the remote user accepts: LVS_LAB_SSH_KEY=PATH, or load it into ssh-agent (SSH_AUTH_SOCK); ' +
        `install it there with \`ssh-copy-id ${target}\`; then ${tryIt}.`,
    );
  }
  if (level === 'client-channel') {
    return environmentError(
      `lab logged in to ${engine.host} over ssh (${engine.source}), but sshd there opens no session on that login (${said}).`,
      'Let that user open sessions: sshd_config\'s MaxSessions at least 1 (lab uses up to 8 on a login; the default is 10), ' +
        `then \`sudo systemctl reload ssh\` there; ${tryIt}.`,
    );
  }
  if (!level && /socket hang up/i.test(said)) {
    return environmentError(
      `lab logged in to ${engine.host} over ssh (${engine.source}), but \`docker system dial-stdio\` there ended ` +
        `without answering (${said}).`,
      `The remote user must be able to run \`docker\` (the docker CLI installed, the user in the docker group): ${tryIt}.`,
    );
  }
  return environmentError(
    `No ssh server lets lab reach the Docker engine at ${why}.`,
    `Check that sshd runs on that host and port and that this machine reaches it: ${tryIt}.`,
  );
}

export function statusOf(err: unknown): number | undefined {
  return (err as { statusCode?: number }).statusCode;
}

export function errorMessage(err: unknown): string {
  const json = (err as { json?: { message?: string } }).json;
  if (json?.message) return json.message;
  return err instanceof Error ? err.message : String(err);
}

function splitRepoTag(ref: string): [string, string | undefined] {
  const colon = ref.lastIndexOf(':');
  return colon > ref.lastIndexOf('/') ? [ref.slice(0, colon), ref.slice(colon + 1)] : [ref, undefined];
}

/** A sink that keeps what is written to it, at once (no stream buffering in between). */
function collector(onText?: (text: string) => void): { sink: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  // A character cut between two chunks is handed on whole, with the second (as a kept shell's text is).
  const decoder = new StringDecoder('utf8');
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      onText?.(decoder.write(chunk));
      done();
    },
  });
  return { sink, text: () => Buffer.concat(chunks).toString('utf8') };
}

/** How often removing a container is tried when the engine missed its exit event. */
const KILL_RETRIES = 3;
const EXIT_EVENT_MISSED = /did not receive an exit event/i;

/** A container whose processes do not die (e.g. stuck in a mount whose server is gone): exit 3, with where to look. */
function unkillable(id: string, err: unknown): LabError {
  const short = id.slice(0, 12);
  return environmentError(
    `The engine could not stop container ${short}: ${errorMessage(err)}`,
    `Look at it with \`docker inspect ${short}\` and \`docker rm -f ${short}\`; ` +
      'a process stuck on a dead NFS mount goes once the mount is gone (or the engine restarts). Then run the teardown again.',
  );
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
