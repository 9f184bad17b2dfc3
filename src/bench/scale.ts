/**
 * Benchmark: how many rr-basic labs one engine carries at once (issue 12: a class of 20 on a 2-core, 24 GB
 * machine). For 1, 2, 4, 8 ... up to MAX labs: every lab's `lab up --no-verify` then `lab verify`, each lab on
 * its own and all labs at once (as students starting together would), through the built CLI; then the memory
 * each lab holds, from the engine's stats (the container RSS of its nodes) and from the guest's MemAvailable
 * drop (which also counts dockerd's and the shims' share), then every lab torn down before the next count.
 * Stops at the first count where a lab fails, and says why. Prints figures; asserts nothing. Inside User-Mode
 * Linux (one CPU): `scripts/bench.sh scale [MAX] [auto|none]`. Usage: node dist/bench/scale.js [MAX] [auto|none]
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { LABEL } from '../labels.js';
import { DockerRuntime } from '../runtime/docker.js';
import { lab, timed } from './shell.js';

const max = Number(process.argv[2] ?? 8);
// auto: each node's init as the scenario says (systemd on rr-basic's director and real servers, as the tutorial).
const init = process.argv[3] ?? 'auto';
const CLASS = 20;
const TARGET_GIB = 24;
const MIB = 2 ** 20;

const runtime = await DockerRuntime.connect();
/** The guest's available memory now (kernel's estimate, page cache it can drop included). */
const available = () => Number(/^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'))![1]) * 1024;

interface Count {
  labs: number;
  seconds: number;
  verified: boolean;
  bootWait: number;
  rssMiB: number;
  guestMiB: number;
  field: string;
  failure?: string;
}

interface UpDoc {
  steps: Array<{ phase: string; seconds: number }>;
}
/**
 * One lab as a student brings it up: up, then verify; rejects with the failing command's output. Resolves
 * with its longest systemd boot wait (0 without systemd): what up's boot limit bounds.
 */
async function oneLab(name: string): Promise<number> {
  const up = JSON.parse(await lab(`up rr-basic --name ${name} --init ${init} --no-verify --json`)) as UpDoc;
  await lab(`verify ${name}`);
  return Math.max(0, ...up.steps.filter((s) => s.phase === 'init').map((s) => s.seconds));
}

/**
 * The RSS of every node of these labs, per lab that is up (the engine's stats, container by container): a
 * lab whose `up` failed removed what it made.
 */
async function labsRss(names: string[]): Promise<{ bytes: number; up: number; field: string }> {
  let bytes = 0;
  let up = 0;
  const fields = new Set<string>();
  for (const name of names) {
    // A stopped container has no memory stats: only the running ones count.
    const containers = (await runtime.listContainers({ key: LABEL.lab, value: name })).filter((c) => c.state === 'running');
    if (containers.length) up++;
    for (const c of containers) {
      const m = await runtime.memoryRss(c.id);
      bytes += m.bytes;
      fields.add(m.field);
    }
  }
  return { bytes: bytes / Math.max(up, 1), up, field: [...fields].join(', ') };
}

async function measure(labs: number): Promise<Count> {
  const names = Array.from({ length: labs }, (_, i) => `s${labs}-${i + 1}`);
  const before = available();
  const runs = await timed(() => Promise.allSettled(names.map(oneLab)));
  const failed = runs.value.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  const rss = await labsRss(names);
  const guestMiB = (before - available()) / Math.max(rss.up, 1) / MIB;
  await Promise.allSettled(names.map((name) => lab(`teardown ${name}`)));
  const failure = failed ? String((failed.reason as Error).message ?? failed.reason) : undefined;
  const waits = runs.value.map((r) => (r.status === 'fulfilled' ? r.value : 0));
  const bootWait = Math.max(...waits);
  const { seconds } = runs;
  return { labs, seconds, verified: !failed, bootWait, rssMiB: rss.bytes / MIB, guestMiB, field: rss.field, failure };
}

const row = (c: Count) =>
  `  ${String(c.labs).padStart(4)}  ${c.seconds.toFixed(0).padStart(8)} s  ${c.rssMiB.toFixed(0).padStart(9)} MiB` +
  `  ${c.guestMiB.toFixed(0).padStart(9)} MiB  ${c.bootWait.toFixed(0).padStart(10)} s  ${c.verified ? 'yes' : 'no'}`;

console.log(`rr-basic labs at once, --init ${init}, ${cpus().length} CPU(s), cgroup v${(await runtime.info()).CgroupVersion}`);
console.log('  labs  to the last verified  RSS per lab  guest per lab  longest boot wait  all verified');
const counts: Count[] = [];
for (let labs = 1; labs <= max; labs *= 2) {
  const c = await measure(labs);
  counts.push(c);
  console.log(row(c));
  if (c.failure) {
    console.log(`  the first failure at ${labs} labs:\n${c.failure.split('\n').map((l) => `    ${l}`).join('\n')}`);
    break;
  }
}
summary(counts);

/** The largest count that verified, and what the figures say about a class of 20 on a 2-core, 24 GB machine. */
function summary(all: Count[]): void {
  const good = all.filter((c) => c.verified);
  const best = good.at(-1);
  console.log(`largest count that verified: ${best ? best.labs : 'none'}`);
  if (!best) return;
  console.log(`  RSS from the engine's stats, field ${best.field}`);
  const perLab = Math.max(best.rssMiB, best.guestMiB);
  const classGiB = (CLASS * perLab) / 1024;
  console.log(`a class of ${CLASS} (extrapolated, not measured): ${CLASS} x ${perLab.toFixed(0)} MiB = ` +
    `${classGiB.toFixed(1)} GiB of ${TARGET_GIB} GiB (${perLab === best.guestMiB ? 'guest' : 'RSS'} per lab, the larger)`);
  const slope = good.length > 1 ? (best.seconds - good[0]!.seconds) / (best.labs - good[0]!.labs) : best.seconds;
  const at20 = good[0]!.seconds + slope * (CLASS - good[0]!.labs);
  console.log(`  time on this one CPU, on the line through ${good[0]!.labs} and ${best.labs} labs: ` +
    `${slope.toFixed(0)} s per extra lab, ${(at20 / 60).toFixed(0)} min for ${CLASS}; two cores: about half (CPU-bound)`);
}
