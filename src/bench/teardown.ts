/**
 * Benchmark: how long containers take to start, one after another and all at once (as `lab up` starts
 * them), and a systemd lab to go away, on the local engine (its cores; the host part of `npm run bench`).
 * Starts N+2 plain containers (`sleep infinity`, no privileges) one after another, removes them, starts
 * them all at once; then N+2 systemd containers (the capabilities profile, so it runs where --privileged
 * is refused) one after another, likewise removed and started at once, waits for systemd, then measures
 * `docker stop` with SIGRTMIN+3 (what lab sets) against the 10 s SIGTERM default on one node, and lab's
 * teardown (force removal) of the rest. Prints figures; asserts nothing. Usage: npm run bench [-- N]
 */
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { LABEL, labLabels } from '../labels.js';
import { teardown } from '../lab/teardown.js';
import { DEBIAN_IMAGE } from '../image-names.js';
import type { ContainerSpec } from '../runtime/types.js';
import { loadScenario } from '../scenario/load.js';
import { DockerRuntime, sleep } from '../runtime/docker.js';

const nodes = Number(process.argv[2] ?? 4);
const id = randomBytes(3).toString('hex');
const lab = `bench-${id}`;
const network = `lvslab-bench-${id}`;
// Labelled like a real lab, so teardown sees them as lab-made.
const labels = labLabels({ ...(await loadScenario('rr-basic')).scenario, name: lab }, 'bench');

const runtime = await DockerRuntime.connect();
console.log(`this machine: ${cpus().length} CPUs`);
if (!(await runtime.imageExists(DEBIAN_IMAGE))) {
  console.error(`${DEBIAN_IMAGE} is missing: run \`lab images build --offline\` first.`);
  process.exit(3);
}
const spec = (name: string, address: string, systemd = true): ContainerSpec => ({
  name, hostname: name, image: DEBIAN_IMAGE,
  ...(systemd ? { init: 'systemd', privilege: 'capabilities' } : { init: 'none', privilege: 'minimal' }),
  interfaces: [{ network, address }], sysctls: {}, labels: { ...labels, [LABEL.node]: name },
});
const seconds = (t0: number) => (performance.now() - t0) / 1000;

try {
  await runtime.createNetwork({ name: network, subnet: '10.215.0.0/24', internal: true, labels });
  const names = Array.from({ length: nodes + 2 }, (_, i) => `bench-${id}-${i}`);
  for (const systemd of [false, true]) {
    const what = `${names.length} ${systemd ? 'systemd' : 'plain'} containers`;
    let t0 = performance.now();
    for (const [i, name] of names.entries()) await runtime.runContainer(spec(name, `10.215.0.${10 + i}`, systemd));
    const sequential = seconds(t0);
    const each = (sequential / names.length).toFixed(2);
    console.log(`start ${what} one after another: ${sequential.toFixed(2)} s (${each} s each)`);
    await Promise.all(names.map((name) => runtime.removeContainer(name)));
    t0 = performance.now();
    await Promise.all(names.map((name, i) => runtime.runContainer(spec(name, `10.215.0.${10 + i}`, systemd))));
    const parallel = seconds(t0);
    const ratio = (parallel / sequential).toFixed(2);
    console.log(`start ${what} all at once: ${parallel.toFixed(2)} s (at once / one after another ${ratio})`);
    if (!systemd) await Promise.all(names.map((name) => runtime.removeContainer(name)));
  }
  let t0 = performance.now();
  const booted = async (name: string) =>
    /^(running|degraded)$/m.test((await runtime.exec(name, ['systemctl', 'is-system-running'])).stdout);
  for (const name of names) {
    while (!(await booted(name))) await sleep(100);
  }
  console.log(`systemd booted in all: ${seconds(t0).toFixed(2)} s`);

  const [viaRtmin, viaTerm, ...rest] = names;
  t0 = performance.now();
  await runtime.stopContainer(viaRtmin!, 10);
  console.log(`docker stop, StopSignal SIGRTMIN+3 (lab's setting): ${seconds(t0).toFixed(2)} s`);
  t0 = performance.now();
  await runtime.signalContainer(viaTerm!, 'SIGTERM');
  let state = 'running';
  while (state === 'running' && seconds(t0) < 12) {
    await sleep(100);
    state = await runtime.containerStatus(viaTerm!);
  }
  const stopped = state === 'running'
    ? 'still running after 12 s (docker stop would SIGKILL at 10 s)'
    : `${seconds(t0).toFixed(2)} s`;
  console.log(`SIGTERM to systemd as PID 1 (the default stop signal): ${stopped}`);

  t0 = performance.now();
  const result = await teardown(runtime, lab);
  const t = seconds(t0);
  const what = `${result.containers.length} containers (${rest.length} running systemd) + ` +
    `${result.networks.length} network`;
  console.log(`lab teardown of ${what}: ${t.toFixed(2)} s, ${(t / result.containers.length).toFixed(3)} s per node`);
  const rss = process.memoryUsage().rss / 2 ** 20;
  console.log(`lab process peak RSS: ${rss.toFixed(0)} MiB`);
} finally {
  await teardown(runtime, lab);
}
