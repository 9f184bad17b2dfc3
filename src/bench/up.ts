/**
 * Benchmark: `lab` against the tutorial typed by hand, side by side, on an engine with IPVS and
 * --privileged (inside User-Mode Linux: `npm run bench`, which runs this in one boot). Each round runs,
 * in alternating order: the hand-typed tutorial (seed 000's commands as a sequential docker CLI script,
 * its containers without lab's stop signal as the seed writes them, then its curls, then `docker stop` +
 * `docker rm`), the least possible (parallel starts, one exec per node, one exec of curls, then verify's
 * evidence by `docker exec`; and the engine's floor under a teardown: plain containers removed at once),
 * `lab up` (verifying), `lab up --no-verify` + `lab verify` (twice), and `lab teardown`.
 * Where lab's time goes comes from its own `--json` documents (each step's seconds) and a few one-off
 * costs (Node's start-up, one exec). Prints every figure, the medians and the ratios; asserts nothing.
 * Usage: node dist/bench/up.js [ROUNDS]
 */
import { DEBIAN_IMAGE } from '../image-names.js';
import { findLab } from '../lab/find.js';
import { buildPlan, SYSTEMD_STOP_FLAG } from '../plan/build.js';
import type { Step } from '../plan/types.js';
import { clients, director, realServers } from '../scenario/model.js';
import { loadScenario } from '../scenario/load.js';
import { DockerRuntime } from '../runtime/docker.js';
import { startCaptures, finishWatch, readCounters, readDirectorTables, startWatch } from '../verify/gather.js';
import { gatherEvidence } from '../verify/capture.js';
import { sendSchedulerTraffic } from '../verify/traffic.js';
import { lab, q, sh, timed } from './shell.js';

const rounds = Number(process.argv[2] ?? 2);
const { scenario, source } = await loadScenario('rr-basic');
const plan = buildPlan(scenario, source);
const nodes = scenario.nodes.map((n) => n.name);
const client = clients(scenario)[0]!.name;
const directorNode = director(scenario).name;
const curls = realServers(scenario).length * 3;
const vipUrl = `http://${scenario.service.vip}:${scenario.service.port}/`;

const waitBooted = (node: string) =>
  `until docker exec ${node} systemctl is-system-running 2>/dev/null | grep -Eq '^(running|degraded)$'; do sleep 0.3; done`;
/** What a student types for a step: the docker CLI line, or `docker exec NODE sh -c '...'`. */
const typed = (s: Step) => {
  if (s.kind === 'network' || s.kind === 'container') return s.command;
  return s.kind === 'exec' ? `docker exec ${s.node} sh -c ${q(s.command)}` : waitBooted(s.node);
};
const curlOnce = `curl -s --max-time 5 ${vipUrl}`;
type ExecStep = Extract<Step, { kind: 'exec' }>;

/**
 * A container's line as the seed writes it: lab's plan adds systemd's halt signal (so `docker stop` ends it at
 * once instead of waiting out its 10 s for SIGTERM), which the tutorial's `docker run` lacks.
 */
const asTheSeedWrites = (s: Step) => (s.kind === 'container' ? s.command.replace(` ${SYSTEMD_STOP_FLAG}`, '') : typed(s));

/** The tutorial as typed: every command after the one before, then a curl per docker exec. */
async function hand(): Promise<{ up: number; curls: number }> {
  const up = await timed(async () => {
    for (const step of plan.steps) await sh(asTheSeedWrites(step));
  });
  const t = await timed(async () => {
    for (let i = 0; i < curls; i++) await sh(`docker exec ${client} ${curlOnce}`);
  });
  return { up: up.seconds, curls: up.seconds + t.seconds };
}

/** The least it can take: the network, every container at once, then each node's commands as one exec. */
async function leastPossible(): Promise<{ up: number; curls: number }> {
  const up = await timed(async () => {
    for (const s of plan.steps.filter((s) => s.kind === 'network')) await sh(s.command);
    await Promise.all(plan.steps.filter((s) => s.kind === 'container').map((s) => sh(s.command)));
    await Promise.all(plan.steps.filter((s) => s.kind === 'wait-init').map((s) => sh(typed(s))));
    const execs = plan.steps.filter((s): s is ExecStep => s.kind === 'exec');
    await Promise.all(nodes.map((node) => {
      const script = execs.filter((s) => s.node === node).map((s) => s.command).join(' && ');
      return script ? sh(`docker exec ${node} sh -c ${q(script)}`) : undefined;
    }));
  });
  const all = Array.from({ length: curls }, () => curlOnce).join(' && ');
  const t = await timed(() => sh(`docker exec ${client} sh -c ${q(all)}`));
  return { up: up.seconds, curls: up.seconds + t.seconds };
}

/**
 * verify's evidence typed with the docker CLI as fast as it goes: a capture started on every node at once (left
 * running; the exec returns once tcpdump listens), one exec on the client for the ARP question and the curls, then
 * on every node at once the capture stopped and read (and the director's tables). Nine execs in three waves.
 */
async function leastVerify(): Promise<number> {
  const pcap = '/tmp/bench.pcap';
  const listen = `tcpdump -i eth0 --immediate-mode -U -w ${pcap} tcp port ${scenario.service.port} >/dev/null 2>${pcap}.log & ` +
    `echo $! >${pcap}.pid; i=0; until grep -qs listening ${pcap}.log || [ $i -ge 200 ]; do sleep 0.05; i=$((i + 1)); done`;
  const ask = `arping -c 1 -w 1 -I eth0 ${scenario.service.vip}; for i in $(seq ${curls}); do ${curlOnce}; done`;
  const read = (node: string) => `kill -INT $(cat ${pcap}.pid); i=0; while kill -0 $(cat ${pcap}.pid) 2>/dev/null && ` +
    `[ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done; tcpdump -r ${pcap} -e -n` +
    (node === directorNode ? '; ipvsadm -Ln --stats; ipvsadm -Lnc' : '');
  const t = await timed(async () => {
    await Promise.all(nodes.map((n) => sh(`docker exec ${n} sh -c ${q(listen)}`)));
    await sh(`docker exec ${client} sh -c ${q(ask)}`);
    await Promise.all(nodes.map((n) => sh(`docker exec ${n} sh -c ${q(read(n))}`)));
  });
  return t.seconds;
}

const networks = scenario.networks.map((n) => n.name).join(' ');
const naiveTeardown = () =>
  sh(`docker stop ${nodes.join(' ')} >/dev/null && docker rm ${nodes.join(' ')} >/dev/null`
    + ` && docker network rm ${networks} >/dev/null`);
const forceTeardown = () => sh(`docker rm -f ${nodes.join(' ')} >/dev/null && docker network rm ${networks} >/dev/null`);

/**
 * The engine's own floor under any teardown: as many plain `sleep` containers as the lab has nodes, each on a
 * network, force-removed at once through the API (no CLI, no Node start-up, nothing running inside but sleep).
 */
async function plainRemoval(): Promise<number> {
  await sh('docker network create --internal bench-floor >/dev/null');
  const run = (i: number) => sh(`docker run -d --network bench-floor --name bench-floor-${i} ${DEBIAN_IMAGE} sleep infinity`);
  const ids = (await Promise.all(nodes.map((_, i) => run(i)))).map((out) => out.trim());
  const runtime = await DockerRuntime.connect();
  const removed = await timed(() => Promise.all(ids.map((id) => runtime.removeContainer(id))));
  await sh('docker network rm bench-floor >/dev/null');
  return removed.seconds;
}

const figures: Record<string, number[]> = {};
const record = (name: string, seconds: number) => {
  (figures[name] ??= []).push(seconds);
  console.log(`  ${name.padEnd(44)} ${seconds.toFixed(1)} s`);
};

interface UpDoc {
  seconds: number;
  steps: Array<{ phase: string; command: string; seconds: number }>;
}
/** Where an `up --json` spent its time: its own seconds, and per kind of step the longest and the sum. */
function upBreakdown(wall: number, doc: UpDoc): void {
  record('  lab up --no-verify: its own work', doc.seconds);
  record('  lab up: Node start-up, connecting, printing', wall - doc.seconds);
  const longest = (phase: string) => Math.max(0, ...doc.steps.filter((s) => s.phase === phase).map((s) => s.seconds));
  record('  lab up: network create', longest('network'));
  record('  lab up: container start, longest', longest('containers'));
  record('  lab up: systemd boot wait, longest', longest('init'));
  const execs = doc.steps.filter((s) => !['network', 'containers', 'init'].includes(s.phase));
  record('  lab up: commands, sum of each one\'s time', execs.reduce((n, s) => n + s.seconds, 0));
  const slowest = [...execs].sort((a, b) => b.seconds - a.seconds)[0];
  if (slowest) console.log(`    slowest command: ${slowest.command.slice(0, 80)} ${slowest.seconds.toFixed(1)} s`);
}

/** verify's parts one after another, in this process (no Node start-up): where its own work goes. */
async function verifyParts(): Promise<void> {
  const runtime = await DockerRuntime.connect();
  const running = await findLab(runtime, 'rr-basic');
  record('  verify part: one exec (IPVS\'s counters)', (await timed(() => readCounters(runtime, scenario))).seconds);
  const captures = await timed(() => startCaptures(runtime, scenario, 'dr'));
  record('  verify part: 4 captures started at once', captures.seconds);
  const read = await timed(() => gatherEvidence(runtime, scenario, captures.value));
  record('  verify part: 4 captures stopped and read', read.seconds);
  // As verify runs them: in a shell kept open on each node.
  const shells = await timed(() => runtime.withShells(nodes));
  record('  verify part: a shell opened on each node', shells.seconds);
  const kept = shells.value.runtime;
  record('  verify part: `true` in each (the shells start)', (await timed(() => Promise.all(nodes.map((n) =>
    kept.exec(n, ['true']))))).seconds);
  const before = await readCounters(kept, scenario);
  const watch = await timed(() => startWatch(kept, running, 'dr'));
  record('  verify part: captures started, arping sent', watch.seconds);
  const traffic = await timed(() => sendSchedulerTraffic(kept, scenario, 2 * realServers(scenario).length));
  record('  verify part: the requests (curls)', traffic.seconds);
  const tables = await timed(() => readDirectorTables(kept, scenario, before, false));
  record('  verify part: counters and tables', tables.seconds);
  const folded = await timed(() => readDirectorTables(kept, scenario, before, true));
  record('  verify part: the same once --stats has them (--html)', folded.seconds);
  const finish = await timed(() => finishWatch(kept, scenario, watch.value, false));
  record('  verify part: captures stopped, arping read, tables, netstat', finish.seconds);
  shells.value.close();
}

const RUNS: Record<string, () => Promise<void>> = {
  hand: async () => {
    const r = await hand();
    record('hand: up', r.up);
    record('hand: up + curls', r.curls);
    record('hand: docker stop + rm', (await timed(naiveTeardown)).seconds);
  },
  least: async () => {
    const r = await leastPossible();
    record('least possible: up', r.up);
    record('least possible: up + curls', r.curls);
    record('least possible: verify by docker exec', await leastVerify());
    record('docker rm -f', (await timed(forceTeardown)).seconds);
    record(`engine: ${nodes.length} plain containers removed at once`, await plainRemoval());
  },
  lab: async () => {
    record('lab up (verified)', (await timed(() => lab('up rr-basic'))).seconds);
    record('lab teardown', (await timed(() => lab('teardown rr-basic'))).seconds);
    const up = await timed(() => lab('up rr-basic --no-verify --json'));
    record('lab up --no-verify', up.seconds);
    upBreakdown(up.seconds, JSON.parse(up.value) as UpDoc);
    const verify = await timed(() => lab('verify rr-basic --json'));
    record('lab verify', verify.seconds);
    record('  lab verify: its own work', (JSON.parse(verify.value) as { seconds: number }).seconds);
    record('lab verify, once more', (await timed(() => lab('verify rr-basic'))).seconds);
    await verifyParts();
    const exec = await timed(() => lab('exec lvs -- true'));
    record('  one `lab exec lvs -- true`', exec.seconds);
    record('  one `docker exec lvs true`', (await timed(() => sh('docker exec lvs true'))).seconds);
    const reset = await timed(() => lab('reset rr-basic'));
    record('lab reset', reset.seconds);
    const down = await timed(() => lab('teardown rr-basic --json'));
    record('lab teardown', down.seconds);
    record('  lab teardown: its own work', (JSON.parse(down.value) as { seconds: number }).seconds);
  },
};
const startup: Record<string, string> = {
  'lab list': 'list', 'lab --help': '--help', 'lab up --dry-run': 'up rr-basic --dry-run',
};

// Node's own start-up, and what the commands that need no engine cost on top of it.
for (let i = 0; i < 3; i++) record('node -e 0', (await timed(() => sh(`${q(process.execPath)} -e 0`))).seconds);
for (const [name, args] of Object.entries(startup)) {
  for (let i = 0; i < 3; i++) record(name, (await timed(() => lab(`${args} >/dev/null`))).seconds);
}
const order = Object.keys(RUNS);
for (let round = 0; round < rounds; round++) {
  const these = round % 2 === 0 ? order : [...order].reverse();
  console.log(`round ${round + 1}: ${these.join(', ')}`);
  for (const name of these) await RUNS[name]!();
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const m = (name: string) => median(figures[name]!);
console.log(`\nmedians of ${rounds} rounds:`);
for (const name of Object.keys(figures)) console.log(`  ${name.padEnd(44)} ${m(name).toFixed(1)} s`);
const ratio = (what: string, a: number, b: number, goal: string) =>
  console.log(`  ${what.padEnd(58)} ${(a / b).toFixed(2)}  (goal ${goal})`);
console.log('ratios:');
ratio('lab up (verified) / hand up + curls', m('lab up (verified)'), m('hand: up + curls'), '<= 0.8');
ratio('lab up --no-verify / least possible up', m('lab up --no-verify'), m('least possible: up'), '<= 1.1');
ratio('lab up --no-verify / hand up', m('lab up --no-verify'), m('hand: up'), '-');
ratio('lab teardown / docker stop + rm', m('lab teardown'), m('hand: docker stop + rm'), '<= 0.6');
ratio('lab teardown: its own work / the engine removing plain containers', m('  lab teardown: its own work'),
  m(`engine: ${nodes.length} plain containers removed at once`), '-');
console.log(`  lab verify ${m('lab verify').toFixed(1)} s, once more ${m('lab verify, once more').toFixed(1)} s (goal <= 6 s)`);
const leastEvidence = m('least possible: verify by docker exec');
ratio('lab verify / least possible verify by docker exec', m('lab verify'), leastEvidence, '-');
