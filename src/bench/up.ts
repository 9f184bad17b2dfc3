/**
 * Benchmark: `lab` against the tutorial typed by hand, side by side, on an engine with IPVS and
 * --privileged (inside User-Mode Linux: `npm run bench:up`, which runs this in one boot). Each round runs,
 * in alternating order: the hand-typed tutorial (seed 000's commands as a sequential docker CLI script,
 * then its curls, then `docker stop` + `docker rm`), the least possible (parallel starts, one exec per
 * node, one exec of curls), `lab up` (verifying), `lab up --no-verify` + `lab verify`, and `lab teardown`.
 * Prints every figure, the medians and the ratios; asserts nothing. Usage: node dist/bench/up.js [ROUNDS]
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { buildPlan } from '../plan/build.js';
import type { Step } from '../plan/types.js';
import { realServers } from '../scenario/model.js';
import { loadScenario } from '../scenario/load.js';

const rounds = Number(process.argv[2] ?? 2);
const CLI = fileURLToPath(new URL('../cli/main.js', import.meta.url));
const { scenario, source } = loadScenario('rr-basic');
const plan = buildPlan(scenario, source);
const nodes = scenario.nodes.map((n) => n.name);
const client = scenario.nodes.find((n) => n.role === 'client')!.name;
const curls = realServers(scenario).length * 3;
const vipUrl = `http://${scenario.service.vip}:${scenario.service.port}/`;

/** Runs a command line in sh; rejects, with its output, unless it exits 0. */
function sh(script: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${script.slice(0, 200)}\n${out.slice(-2000)}`))));
  });
}
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const lab = (args: string) => sh(`${q(process.execPath)} ${q(CLI)} ${args}`);
async function timed(what: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await what();
  return (performance.now() - t0) / 1000;
}

/** What a student types for a step: the docker CLI line, or `docker exec NODE sh -c '...'`. */
const typed = (s: Step) => (s.kind === 'network' || s.kind === 'container' ? s.command : s.kind === 'exec' ? `docker exec ${s.node} sh -c ${q(s.command)}` : waitBooted(s.node));
const waitBooted = (node: string) => `until docker exec ${node} systemctl is-system-running 2>/dev/null | grep -Eq '^(running|degraded)$'; do sleep 0.3; done`;
const curlOnce = `curl -s --max-time 5 ${vipUrl}`;

/** The tutorial as typed: every command after the one before, then a curl per docker exec. */
async function hand(): Promise<{ up: number; curls: number }> {
  const up = await timed(async () => {
    for (const step of plan.steps) await sh(typed(step));
  });
  const t = await timed(async () => {
    for (let i = 0; i < curls; i++) await sh(`docker exec ${client} ${curlOnce}`);
  });
  return { up, curls: up + t };
}

/** The least it can take: the network, every container at once, then each node's commands as one exec. */
async function leastPossible(): Promise<{ up: number; curls: number }> {
  const up = await timed(async () => {
    for (const s of plan.steps.filter((s) => s.kind === 'network')) await sh(s.command);
    await Promise.all(plan.steps.filter((s) => s.kind === 'container').map((s) => sh(s.command)));
    await Promise.all(plan.steps.filter((s) => s.kind === 'wait-init').map((s) => sh(typed(s))));
    const execs = plan.steps.filter((s): s is Extract<Step, { kind: 'exec' }> => s.kind === 'exec');
    await Promise.all(nodes.map((node) => {
      const script = execs.filter((s) => s.node === node).map((s) => s.command).join(' && ');
      return script ? sh(`docker exec ${node} sh -c ${q(script)}`) : undefined;
    }));
  });
  const t = await timed(() => sh(`docker exec ${client} sh -c ${q(Array.from({ length: curls }, () => curlOnce).join(' && '))}`));
  return { up, curls: up + t };
}

const networks = scenario.networks.map((n) => n.name).join(' ');
const naiveTeardown = () => sh(`docker stop ${nodes.join(' ')} >/dev/null && docker rm ${nodes.join(' ')} >/dev/null && docker network rm ${networks} >/dev/null`);
const forceTeardown = () => sh(`docker rm -f ${nodes.join(' ')} >/dev/null && docker network rm ${networks} >/dev/null`);

const figures: Record<string, number[]> = {};
const record = (name: string, seconds: number) => {
  (figures[name] ??= []).push(seconds);
  console.log(`  ${name.padEnd(34)} ${seconds.toFixed(1)} s`);
};

const RUNS: Record<string, () => Promise<void>> = {
  hand: async () => {
    const r = await hand();
    record('hand: up', r.up);
    record('hand: up + curls', r.curls);
    record('hand: docker stop + rm', await timed(naiveTeardown));
  },
  least: async () => {
    const r = await leastPossible();
    record('least possible: up', r.up);
    record('least possible: up + curls', r.curls);
    record('docker rm -f', await timed(forceTeardown));
  },
  lab: async () => {
    record('lab up (verified)', await timed(() => lab('up rr-basic')));
    record('lab teardown', await timed(() => lab('teardown rr-basic')));
    record('lab up --no-verify', await timed(() => lab('up rr-basic --no-verify')));
    record('lab verify', await timed(() => lab('verify rr-basic')));
    record('lab teardown', await timed(() => lab('teardown rr-basic')));
  },
};
const startup: Record<string, string> = { 'lab list': 'list', 'lab --help': '--help', 'lab up --dry-run': 'up rr-basic --dry-run' };

// Node's own start-up, and what the commands that need no engine cost on top of it.
for (let i = 0; i < 3; i++) record('node -e 0', await timed(() => sh(`${q(process.execPath)} -e 0`)));
for (const [name, args] of Object.entries(startup)) for (let i = 0; i < 3; i++) record(name, await timed(() => lab(`${args} >/dev/null`)));
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
for (const name of Object.keys(figures)) console.log(`  ${name.padEnd(34)} ${m(name).toFixed(1)} s`);
const ratio = (what: string, a: number, b: number, goal: string) => console.log(`  ${what.padEnd(58)} ${(a / b).toFixed(2)}  (goal ${goal})`);
console.log('ratios:');
ratio('lab up (verified) / hand up + curls', m('lab up (verified)'), m('hand: up + curls'), '<= 0.8');
ratio('lab up --no-verify / least possible up', m('lab up --no-verify'), m('least possible: up'), '<= 1.1');
ratio('lab up --no-verify / hand up', m('lab up --no-verify'), m('hand: up'), '-');
ratio('lab teardown / docker stop + rm', m('lab teardown'), m('hand: docker stop + rm'), '<= 0.6');
console.log(`  lab verify ${m('lab verify').toFixed(1)} s (goal <= 6 s)`);
