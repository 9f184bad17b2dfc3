/**
 * User-Mode Linux test harness: runs commands against a real Linux kernel with IPVS and a dockerd inside
 * it, on a machine whose own kernel has no IPVS.
 *
 * How it works: `/usr/bin/linux.uml` boots with the host "/" as a READ-ONLY hostfs root and
 * `scripts/uml-guest-init.sh` (copied into a fresh work dir) as PID 1. The guest mounts tmpfs on /tmp /run /root
 * /var/tmp /var/log /etc/docker /var/lib/docker, the work dir read-write at the same path, loads the
 * IPVS modules, starts dockerd and runs the job this module wrote into the work dir (format: see the
 * header of scripts/uml-guest-init.sh), then writes `status` and powers off. The guest's console is streamed here
 * line by line; the commands' stdout/stderr are read back from the work dir.
 *
 * UML outlives a killed caller unless stopped: linux.uml is spawned detached, so it leads a process group
 * holding all its helper processes; every exit path here (end, timeout, exception, abort,
 * SIGINT/SIGTERM/SIGHUP, process 'exit') stops it: SIGTERM to linux.uml (which kills and reaps its
 * helpers), then SIGKILL to the whole group. A tiny sh watchdog does the same (and removes the work dir)
 * if this process dies without running any handler (SIGKILL): its stdin pipe from us then hits EOF.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const UML_BINARY = '/usr/bin/linux.uml';
export const UML_MODULES_ROOT = '/usr/lib/uml/modules';
/** The repository root (computed from this file's location: CI clones elsewhere). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const GUEST_INIT = path.join(REPO_ROOT, 'scripts', 'uml-guest-init.sh');
/** Every program the guest runs, with its Debian package: the guest boots on this machine's root. */
export const HOST_PROGRAMS = path.join(REPO_ROOT, 'scripts', 'host-programs');
/** Runs linux.uml pinned to a host CPU of its own (4-5x faster on a VM: the script says why); it execs. */
const ON_ONE_CPU = path.join(REPO_ROOT, 'scripts', 'uml-cpu.sh');
export const DEFAULT_MODULES: readonly string[] = [
  'overlay', 'veth', 'bridge', 'ip_vs', 'ip_vs_rr', 'ip_vs_wrr', 'ip_vs_sh', 'ip_vs_lc', 'ipip',
];
/** Environment every guest command starts from (DOCKER_HOST unset: dockerd's default socket). */
export const GUEST_BASE_ENV: Readonly<Record<string, string>> = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  HOME: '/root',
  USER: 'root',
  LOGNAME: 'root',
  TERM: 'dumb',
};
/** Mount points of the read-only hostfs root that must exist on the host before boot. */
export const HOST_MOUNT_POINTS: readonly string[] = ['/usr/lib/modules', '/var/lib/docker', '/etc/docker'];
/** Host directories the guest hides under tmpfs (a checkout below one of them is re-mounted via hostfs). */
const MASKED_IN_GUEST = ['/tmp', '/run', '/var/run', '/var/tmp', '/var/log', '/root', '/etc/docker', '/var/lib/docker', '/dev/shm', '/usr/lib/modules'];

export interface GuestCommand {
  /** Shown in results and (sanitized) as the console prefix `[name] ` (stderr: `[name!] `). */
  name: string;
  /** argv[0] is looked up in the guest PATH. */
  argv: string[];
  /** Default: the repository root. */
  cwd?: string;
  /** Added to GUEST_BASE_ENV (and may override it). */
  env?: Record<string, string>;
  /** Per-command limit (coreutils `timeout`, exit code 124, then SIGKILL 5 s later). Default none. */
  timeoutSeconds?: number;
  /** If this command exits non-zero, skip all later commands (they get `skipped: true`). Default false. */
  stopOnFailure?: boolean;
}

export interface GuestResult {
  name: string;
  /** The command's exit status; -1 if it was skipped or never finished (run killed). */
  exitCode: number;
  stdout: string;
  stderr: string;
  /** Wall time inside the guest (from /proc/uptime). */
  seconds: number;
  /** Its own timeoutSeconds was hit (exit code 124 or 137). */
  timedOut: boolean;
  /** Not run: an earlier stopOnFailure command failed. */
  skipped: boolean;
}

export interface UmlRun {
  results: GuestResult[];
  /** Guest uptime (seconds since kernel start) when dockerd answered _ping; NaN with `docker: false`. */
  dockerReadySeconds: number;
  /** Guest uptime when PID 1 started. */
  bootSeconds: number;
  /** Host wall time from spawn to UML exit. */
  totalSeconds: number;
  /** Everything the guest console printed (kernel, guest-init, the commands' live copies). */
  console: string;
  /** Modules whose modprobe failed (the run goes on). */
  modulesFailed: string[];
  /** Unique marker of this boot (on the UML command line as UML_RUN_ID=...). */
  runId: string;
}

export interface UmlOptions {
  commands: GuestCommand[];
  /** UML RAM (a sparse file under /dev/shm). Default '3G'. */
  memory?: string;
  /** Size of the tmpfs on /var/lib/docker. Default '2G'. */
  dockerTmpfs?: string;
  /** Modules to modprobe. Default DEFAULT_MODULES. */
  modules?: readonly string[];
  /** Start dockerd and wait for it (commands are skipped if it fails). Default true. */
  docker?: boolean;
  /** Whole boot, host side: the process group is killed after this. Default 1500. */
  timeoutSeconds?: number;
  /** Each console line, live. Default: process.stdout with the prefix `[uml] `. */
  onLine?: (line: string) => void;
  /** Extra host paths to expose at the same path in the guest (needed only under /tmp, /root, ...). */
  hostMounts?: Array<{ path: string; writable?: boolean }>;
  /** Aborting kills UML and rejects with UmlError kind 'aborted'. */
  signal?: AbortSignal;
}

export type UmlErrorKind = 'unavailable' | 'timeout' | 'aborted' | 'no-status' | 'docker' | 'spawn';

export class UmlError extends Error {
  constructor(
    message: string,
    readonly kind: UmlErrorKind,
    readonly runId: string,
    readonly workDir: string,
    readonly console: string,
    /** Whatever the guest had finished before the run ended (timeout, crash, dockerd failure). */
    readonly partialResults: GuestResult[] = [],
  ) {
    super(message);
    this.name = 'UmlError';
  }
}

// ---------------------------------------------------------------------------------------------------
// availability

function isExecutable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

export function findInGuestPath(cmd: string): string | undefined {
  const dirs = (GUEST_BASE_ENV.PATH ?? '').split(':');
  for (const d of dirs) if (isExecutable(path.join(d, cmd))) return path.join(d, cmd);
  return undefined;
}

/** UML kernel module trees that contain IPVS. */
function umlModuleDirs(): string[] {
  try {
    return fs
      .readdirSync(UML_MODULES_ROOT)
      .filter((v) => fs.existsSync(path.join(UML_MODULES_ROOT, v, 'kernel', 'net', 'netfilter', 'ipvs')));
  } catch {
    return [];
  }
}

/** scripts/host-programs: `PROGRAM PACKAGE WHO` lines, # comments. */
export function hostPrograms(): Array<{ program: string; pkg: string }> {
  return fs
    .readFileSync(HOST_PROGRAMS, 'utf8')
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([program, pkg]) => program && pkg && !program.startsWith('#'))
    .map(([program, pkg]) => ({ program: program!, pkg: pkg! }));
}

/** Whether this machine can run runInUml (linux.uml, its modules, kmod, ...), and if not, why. */
export function umlAvailable(opts: { docker?: boolean } = {}): { ok: true } | { ok: false; reason: string } {
  const missing: string[] = [];
  if (process.platform !== 'linux') return { ok: false, reason: `User-Mode Linux needs a Linux host, not ${process.platform}` };
  if (umlModuleDirs().length === 0) missing.push(`IPVS modules under ${UML_MODULES_ROOT}/<version> (apt-get install user-mode-linux)`);
  for (const { program, pkg } of hostPrograms()) {
    if (opts.docker === false && program === 'dockerd') continue;
    if (!findInGuestPath(program)) missing.push(`${program} (apt-get install ${pkg})`);
  }
  if (!fs.existsSync(GUEST_INIT)) missing.push(GUEST_INIT);
  for (const mp of HOST_MOUNT_POINTS) {
    if (fs.existsSync(mp)) continue;
    let parent = path.dirname(mp);
    while (!fs.existsSync(parent)) parent = path.dirname(parent);
    try {
      fs.accessSync(parent, fs.constants.W_OK);
    } catch {
      missing.push(`mount point ${mp} (create it as root: mkdir -p ${HOST_MOUNT_POINTS.join(' ')})`);
    }
  }
  if (missing.length > 0) return { ok: false, reason: `User-Mode Linux harness unavailable, missing: ${missing.join('; ')}` };
  return { ok: true };
}

// ---------------------------------------------------------------------------------------------------
// process bookkeeping: every live UML process group, killed on every way out of this process

const liveGroups = new Set<number>();
const liveRuns = new Map<number, { watchdogPid: number | undefined; workDir: string }>(); // by pgid
let exitHookInstalled = false;
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

// How UML is stopped: SIGTERM to the main linux.uml process makes it kill and reap its helper processes
// and exit at once (measured: < 0.2 s, no zombies left); SIGKILL to the whole group is the backstop
// (it leaves the helpers as zombies for the host's init to reap).
const TERM_GRACE_MS = 3000;

function signalPid(pid: number | undefined, sig: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

function killGroup(pgid: number): void {
  signalPid(-pgid, 'SIGKILL');
}

/** /proc state letter of a process (R, S, Z, ...), undefined if it does not exist. */
function procState(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

/** Synchronous stop for 'exit' and signal handlers (no event loop there): TERM, wait, KILL the group. */
function stopGroupSync(pgid: number, graceMs = 2000): void {
  signalPid(pgid, 'SIGTERM');
  const until = Date.now() + graceMs;
  const cell = new Int32Array(new SharedArrayBuffer(4));
  while (Date.now() < until) {
    const st = procState(pgid);
    if (st === undefined || st === 'Z' || st === 'X') break;
    Atomics.wait(cell, 0, 0, 20);
  }
  killGroup(pgid);
}

function killAllGroups(): void {
  for (const g of liveGroups) {
    stopGroupSync(g);
    const run = liveRuns.get(g);
    signalPid(run?.watchdogPid, 'SIGKILL');
    if (run) fs.rmSync(run.workDir, { recursive: true, force: true });
  }
}

function onSignal(sig: NodeJS.Signals): void {
  killAllGroups();
  liveGroups.clear();
  liveRuns.clear();
  removeSignalHooks();
  // if nobody else handles it, restore the default behaviour (terminate) by re-raising
  if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
}

function addSignalHooks(): void {
  if (!exitHookInstalled) {
    process.on('exit', killAllGroups);
    exitHookInstalled = true;
  }
  for (const s of SIGNALS) if (!process.listeners(s).includes(onSignal)) process.on(s, onSignal);
}

function removeSignalHooks(): void {
  for (const s of SIGNALS) process.removeListener(s, onSignal);
}

function track(pgid: number, watchdogPid: number | undefined, workDir: string): void {
  liveGroups.add(pgid);
  liveRuns.set(pgid, { watchdogPid, workDir });
  addSignalHooks();
}

/** Called once the group was killed: the watchdog goes by SIGKILL (not by EOF: the pgid may be reused). */
function untrack(pgid: number, watchdogPid: number | undefined): void {
  signalPid(watchdogPid, 'SIGKILL');
  liveGroups.delete(pgid);
  liveRuns.delete(pgid);
  if (liveGroups.size === 0) removeSignalHooks();
}

/** Host pids whose command line contains `marker` (e.g. a UmlRun.runId or a work dir), this process excluded. */
export function findUmlProcesses(marker: string): number[] {
  const pids: number[] = [];
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return pids;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const pid = Number(e);
    if (pid === process.pid) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${e}/cmdline`, 'utf8');
      if (cmdline.includes(marker)) pids.push(pid);
    } catch {
      /* gone meanwhile */
    }
  }
  return pids;
}

// ---------------------------------------------------------------------------------------------------
// job writing

/** POSIX sh single-quoting. */
export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function label(name: string): string {
  const l = name.replace(/[^A-Za-z0-9._:@+-]/g, '_').slice(0, 40);
  return l === '' || l === '-' ? 'cmd' : l;
}

const SAFE_TOKEN = /^[A-Za-z0-9._/+:@-]+$/;

function checkToken(what: string, v: string): string {
  if (!SAFE_TOKEN.test(v)) throw new UmlError(`${what} ${JSON.stringify(v)} cannot go on the UML kernel command line`, 'spawn', '', '', '');
  return v;
}

function realOr(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

function maskedInGuest(p: string): boolean {
  return MASKED_IN_GUEST.some((m) => p === m || p.startsWith(`${m}/`));
}

function commandScript(c: GuestCommand, cwd: string): string {
  const env = { ...GUEST_BASE_ENV, ...(c.env ?? {}) };
  const assigns = Object.entries(env).map(([k, v]) => shQuote(`${k}=${v}`));
  return [
    `# ${c.name.replace(/\n/g, ' ')}`,
    `cd ${shQuote(cwd)} || exit 126`,
    `exec env -i -- ${assigns.join(' ')} ${c.argv.map(shQuote).join(' ')}`,
    '',
  ].join('\n');
}

interface Job {
  idx: string[];
}

function writeJob(workDir: string, opts: UmlOptions): Job {
  const jobDir = path.join(workDir, 'job');
  fs.mkdirSync(jobDir);
  fs.mkdirSync(path.join(workDir, 'out'));
  const manifest: string[] = [];
  const idx: string[] = [];
  const mounts = new Map<string, boolean>();
  const wantVisible = (p: string) => {
    const r = realOr(p);
    if (maskedInGuest(r) && !mounts.has(r)) mounts.set(r, false);
  };
  wantVisible(REPO_ROOT);
  wantVisible(path.dirname(path.dirname(realOr(process.execPath)))); // node's install prefix
  opts.commands.forEach((c, i) => {
    if (!c.name) throw new Error(`command #${i} has no name`);
    if (!Array.isArray(c.argv) || c.argv.length === 0 || c.argv[0] === '') throw new Error(`command ${c.name}: empty argv`);
    for (const k of Object.keys(c.env ?? {})) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`command ${c.name}: bad environment variable name ${JSON.stringify(k)}`);
    }
    const t = c.timeoutSeconds ?? 0;
    if (!(t >= 0) || !Number.isFinite(t)) throw new Error(`command ${c.name}: bad timeoutSeconds ${t}`);
    const cwd = path.resolve(REPO_ROOT, c.cwd ?? '.');
    wantVisible(cwd);
    const n = String(i).padStart(3, '0');
    idx.push(n);
    fs.writeFileSync(path.join(jobDir, `${n}.sh`), commandScript(c, cwd));
    manifest.push(`${n} ${Math.ceil(t)} ${c.stopOnFailure ? 'stop' : 'continue'} ${label(c.name)}`);
  });
  for (const m of opts.hostMounts ?? []) {
    const r = realOr(m.path);
    mounts.set(r, m.writable === true || mounts.get(r) === true);
  }
  for (const p of mounts.keys()) checkToken('host mount path', p); // read by `read -r mode path`: no newlines/odd chars
  fs.writeFileSync(path.join(jobDir, 'manifest'), manifest.map((l) => `${l}\n`).join(''));
  fs.writeFileSync(path.join(jobDir, 'mounts'), [...mounts].map(([p, w]) => `${w ? 'rw' : 'ro'} ${p}\n`).join(''));
  return { idx };
}

function readIf(p: string): string | undefined {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
}

function collectResults(workDir: string, job: Job, commands: GuestCommand[]): GuestResult[] {
  return job.idx.map((n, i) => {
    const c = commands[i]!;
    const out = path.join(workDir, 'out');
    const stdout = readIf(path.join(out, `${n}.stdout`)) ?? '';
    const stderr = readIf(path.join(out, `${n}.stderr`)) ?? '';
    const res = readIf(path.join(out, `${n}.result`));
    if (res !== undefined) {
      const [rc, start, end] = res.trim().split(/\s+/).map(Number);
      const exitCode = rc ?? -1;
      const timedOut = (c.timeoutSeconds ?? 0) > 0 && (exitCode === 124 || exitCode === 137);
      const seconds = Math.round(((end ?? 0) - (start ?? 0)) * 1000) / 1000;
      return { name: c.name, exitCode, stdout, stderr, seconds, timedOut, skipped: false };
    }
    const skipped = fs.existsSync(path.join(out, `${n}.skipped`));
    return { name: c.name, exitCode: -1, stdout, stderr, seconds: 0, timedOut: false, skipped };
  });
}

function parseStatus(text: string): Record<string, string> {
  const r: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) r[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return r;
}

function tail(text: string, lines = 40): string {
  return text.split('\n').slice(-lines).join('\n');
}

// linux.uml calls setsid() itself unless it already leads a session: spawned `detached` (setsid before
// exec) it stays the leader of a process group holding all its helper processes, so one kill(-pgid)
// stops everything. A separate watchdog (its own group too, so a terminal's Ctrl-C cannot take it
// down first) SIGKILLs that group when its stdin, a pipe from this process that is never written,
// reaches EOF: i.e. when this Node process is gone, even by SIGKILL; then it removes the work dir.
const WATCHDOG = [
  'while read -r _; do :; done',
  'kill -TERM "$1" 2>/dev/null',
  'i=0; while [ $i -lt 20 ] && kill -0 "$1" 2>/dev/null; do sleep 0.1; i=$((i+1)); done',
  'kill -KILL -- "-$1" 2>/dev/null',
  'rm -rf -- "$2"',
].join('\n');

function shmDir(): string {
  try {
    fs.accessSync('/dev/shm', fs.constants.W_OK);
    return '/dev/shm';
  } catch {
    return os.tmpdir();
  }
}

// ---------------------------------------------------------------------------------------------------

/** Boots UML once, runs `commands` in order inside it, powers off. Rejects with UmlError if the run
 * did not end with the guest's status file (timeout, crash, abort) or dockerd never became ready. */
export async function runInUml(opts: UmlOptions): Promise<UmlRun> {
  const avail = umlAvailable({ docker: opts.docker });
  if (!avail.ok) throw new UmlError(avail.reason, 'unavailable', '', '', '');
  const memory = opts.memory ?? '3G';
  const dockerTmpfs = opts.dockerTmpfs ?? '2G';
  const modules = opts.modules ?? DEFAULT_MODULES;
  const docker = opts.docker !== false;
  const timeoutSeconds = opts.timeoutSeconds ?? 1500;
  if (!/^\d+[KMG]?$/.test(memory)) throw new Error(`bad memory ${memory} (e.g. 1G, 3072M)`);
  if (!/^\d+[kmgKMG%]?$/.test(dockerTmpfs)) throw new Error(`bad dockerTmpfs ${dockerTmpfs} (e.g. 2G)`);
  for (const m of modules) if (!/^[A-Za-z0-9_-]+$/.test(m)) throw new Error(`bad module name ${m}`);
  const onLine = opts.onLine ?? ((line: string) => void process.stdout.write(`[uml] ${line}\n`));

  for (const mp of HOST_MOUNT_POINTS) fs.mkdirSync(mp, { recursive: true });
  const runId = `lvslab-${process.pid}-${randomBytes(6).toString('hex')}`;
  const workDir = fs.mkdtempSync(path.join(realOr(os.tmpdir()), 'lvs-lab-uml-'));
  let consoleText = '';
  const fail = (msg: string, kind: UmlErrorKind, partial: GuestResult[] = []) =>
    new UmlError(`${msg}\n--- UML console tail (run ${runId}) ---\n${tail(consoleText)}`, kind, runId, workDir, consoleText, partial);

  try {
    checkToken('work dir', workDir);
    const job = writeJob(workDir, opts);
    const init = path.join(workDir, 'guest-init.sh');
    fs.copyFileSync(GUEST_INIT, init);
    fs.chmodSync(init, 0o755);

    const args = [
      `mem=${memory}`, 'root=/dev/root', 'rootfstype=hostfs', 'rootflags=/', 'ro', `init=${init}`,
      `UML_WORKDIR=${workDir}`, `UML_RUN_ID=${runId}`, `UML_DOCKER=${docker ? 1 : 0}`,
      `UML_DOCKER_TMPFS=${dockerTmpfs}`, `UML_MODULES=${modules.length > 0 ? modules.join(',') : 'none'}`,
      'quiet', 'con=null', 'con0=null,fd:1', 'ubd0=/dev/null',
    ];
    const started = performance.now();
    const child = spawn(ON_ONE_CPU, [UML_BINARY, ...args], {
      detached: true, // own session and process group: pgid = child.pid
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, TMPDIR: shmDir() },
    });
    const pgid = child.pid;
    if (pgid === undefined) {
      const e = await new Promise<unknown>((r) => child.once('error', r));
      throw fail(`could not start ${UML_BINARY}: ${String(e)}`, 'spawn');
    }
    const watchdog = spawn('/bin/sh', ['-c', WATCHDOG, 'uml-watchdog', String(pgid), workDir], {
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    watchdog.stdin.on('error', () => {});
    watchdog.on('error', () => {});
    track(pgid, watchdog.pid, workDir);

    let ended: 'timeout' | 'aborted' | 'onLine' | undefined;
    let lineError: unknown;
    let killTimer: NodeJS.Timeout | undefined;
    let timer: NodeJS.Timeout | undefined;
    const stop = (why: 'timeout' | 'aborted' | 'onLine') => {
      if (ended) return;
      ended = why;
      signalPid(pgid, 'SIGTERM');
      killTimer = setTimeout(() => killGroup(pgid), TERM_GRACE_MS);
    };
    const onAbort = () => stop('aborted');
    const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
    let exit: { code: number | null; signal: NodeJS.Signals | null };
    try {
      timer = setTimeout(() => stop('timeout'), timeoutSeconds * 1000);
      if (opts.signal?.aborted) stop('aborted');
      opts.signal?.addEventListener('abort', onAbort);
      const pending: Record<'out' | 'err', string> = { out: '', err: '' };
      const emit = (line: string) => {
        try {
          onLine(line.replace(/\r$/, ''));
        } catch (e) {
          lineError ??= e;
          stop('onLine');
        }
      };
      const feed = (which: 'out' | 'err', chunk: string) => {
        consoleText += chunk;
        const parts = (pending[which] + chunk).split('\n');
        pending[which] = parts.pop() ?? '';
        for (const p of parts) emit(p);
      };
      child.stdout.setEncoding('utf8').on('data', (d: string) => feed('out', d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => feed('err', d));
      exit = await new Promise((resolve, reject) => {
        child.once('error', reject);
        child.once('exit', (code, signal) => resolve({ code, signal }));
      });
      // the console pipes close once every process of the group is gone (bounded wait, just in case)
      await Promise.race([closed, new Promise((r) => setTimeout(r, 2000).unref())]);
      for (const w of ['out', 'err'] as const) if (pending[w] !== '') emit(pending[w]);
    } finally {
      clearTimeout(timer);
      clearTimeout(killTimer);
      opts.signal?.removeEventListener('abort', onAbort);
      killGroup(pgid); // backstop: no helper outlives the run, whatever happened
      untrack(pgid, watchdog.pid);
    }
    const totalSeconds = Math.round(performance.now() - started) / 1000;

    // wait (briefly) until the kernel has reaped every process of this run
    for (let i = 0; i < 50 && findUmlProcesses(runId).length > 0; i++) await new Promise((r) => setTimeout(r, 100));

    const results = collectResults(workDir, job, opts.commands);
    if (ended === 'onLine') throw lineError;
    if (ended === 'timeout') throw fail(`UML run timed out after ${timeoutSeconds}s (UML stopped)`, 'timeout', results);
    if (ended === 'aborted') throw fail('UML run aborted (UML stopped)', 'aborted', results);
    const statusText = readIf(path.join(workDir, 'status'));
    if (statusText === undefined) {
      throw fail(
        `UML exited without writing its status file (linux.uml exit code ${exit.code}, signal ${exit.signal}): ` +
          'the guest crashed, failed to boot or was killed',
        'no-status',
        results,
      );
    }
    const status = parseStatus(statusText);
    if (docker && status.docker !== 'ready') {
      const log = readIf(path.join(workDir, 'dockerd.log')) ?? '(no dockerd.log)';
      throw fail(`dockerd inside UML did not become ready (${status.docker}); dockerd.log tail:\n${tail(log, 30)}`, 'docker', results);
    }
    return {
      results,
      dockerReadySeconds: docker ? Number(status.docker_ready) : Number.NaN,
      bootSeconds: Number(status.boot),
      totalSeconds,
      console: consoleText,
      modulesFailed: (status.modules_failed ?? '').split(',').filter((m) => m !== ''),
      runId,
    };
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}
