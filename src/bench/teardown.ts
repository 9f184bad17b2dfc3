/**
 * Benchmark: how long a systemd lab takes to start and to go away. Starts N systemd containers on the local
 * engine (the capabilities profile, so it runs where --privileged is refused) one after another, removes
 * them, starts them again all at once (as `lab up` does), waits for systemd, then measures
 * `docker stop` with SIGRTMIN+3 (what lab sets) against the 10 s SIGTERM default on one node, and lab's
 * teardown (force removal) of the rest. Prints figures; asserts nothing. Usage: npm run bench [-- N]
 */
import { randomBytes } from 'node:crypto';
import { LABEL, labLabels } from '../lab/labels.js';
import { teardown } from '../lab/teardown.js';
import { DEBIAN_IMAGE } from '../lab/images.js';
import type { ContainerSpec } from '../plan/types.js';
import { loadScenario } from '../scenario/load.js';
import { DockerRuntime, sleep } from '../runtime/docker.js';

const nodes = Number(process.argv[2] ?? 4);
const id = randomBytes(3).toString('hex');
const lab = `bench-${id}`;
const network = `lvslab-bench-${id}`;
// Labelled like a real lab, so teardown sees them as lab-made.
const labels = labLabels({ ...loadScenario('rr-basic').scenario, name: lab }, 'bench');

const runtime = await DockerRuntime.connect();
console.log(`engine: ${(await runtime.docker.info()).NCPU} CPUs`);
if (!(await runtime.imageExists(DEBIAN_IMAGE))) {
  console.error(`${DEBIAN_IMAGE} is missing: run \`lab images build --offline\` first.`);
  process.exit(3);
}
const spec = (name: string, address: string): ContainerSpec => ({
  name, hostname: name, image: DEBIAN_IMAGE, init: 'systemd', privilege: 'capabilities',
  interfaces: [{ network, address }], sysctls: {}, labels: { ...labels, [LABEL.node]: name },
});
const seconds = (t0: number) => (performance.now() - t0) / 1000;

try {
  await runtime.createNetwork({ name: network, subnet: '10.215.0.0/24', internal: true, labels });
  const names = Array.from({ length: nodes + 2 }, (_, i) => `bench-${id}-${i}`);
  let t0 = performance.now();
  for (const [i, name] of names.entries()) await runtime.runContainer(spec(name, `10.215.0.${10 + i}`));
  const sequential = seconds(t0);
  console.log(`start ${names.length} systemd containers one after another: ${sequential.toFixed(2)} s (${(sequential / names.length).toFixed(2)} s each)`);
  await Promise.all(names.map((name) => runtime.removeContainer(name)));
  t0 = performance.now();
  await Promise.all(names.map((name, i) => runtime.runContainer(spec(name, `10.215.0.${10 + i}`))));
  const parallel = seconds(t0);
  console.log(`start ${names.length} systemd containers at once: ${parallel.toFixed(2)} s (parallel/sequential ${(parallel / sequential).toFixed(2)})`);
  t0 = performance.now();
  for (const name of names) {
    while (!/^(running|degraded)$/m.test((await runtime.exec(name, ['systemctl', 'is-system-running'])).stdout)) await sleep(100);
  }
  console.log(`systemd booted in all: ${seconds(t0).toFixed(2)} s`);

  const [viaRtmin, viaTerm, ...rest] = names;
  t0 = performance.now();
  await runtime.docker.getContainer(viaRtmin!).stop({ t: 10 });
  console.log(`docker stop, StopSignal SIGRTMIN+3 (lab's setting): ${seconds(t0).toFixed(2)} s`);
  t0 = performance.now();
  await runtime.docker.getContainer(viaTerm!).kill({ signal: 'SIGTERM' });
  let state = 'running';
  while (state === 'running' && seconds(t0) < 12) {
    await sleep(100);
    state = (await runtime.docker.getContainer(viaTerm!).inspect()).State.Status;
  }
  console.log(`SIGTERM to systemd as PID 1 (the default stop signal): ${state === 'running' ? 'still running after 12 s (docker stop would SIGKILL at 10 s)' : `${seconds(t0).toFixed(2)} s`}`);

  t0 = performance.now();
  const result = await teardown(runtime, lab);
  const t = seconds(t0);
  console.log(`lab teardown of ${result.containers.length} containers (${rest.length} running systemd) + ${result.networks.length} network: ${t.toFixed(2)} s, ${(t / result.containers.length).toFixed(3)} s per node`);
  const rss = process.memoryUsage().rss / 2 ** 20;
  console.log(`lab process peak RSS: ${rss.toFixed(0)} MiB`);
} finally {
  await teardown(runtime, lab);
}
