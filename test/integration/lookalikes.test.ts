import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL, labLabels, labMade } from '../../src/labels.js';
import { DockerRuntime } from '../../src/runtime/docker.js';
import { lab } from '../helpers/cli.js';
import { ensureHostImage } from '../helpers/image.js';
import { builtinScenario } from '../helpers/builtin.js';

// Hand-made objects that carry one of lab's labels and nothing else: no lab command may act on them.
// Every name has a random suffix: the engine is shared with other test runs, whose labs must not be touched.
const id = randomBytes(3).toString('hex');
const NODE = `rs1-${id}`;
const FOREIGN_LAB = `someone-else-${id}`;
const decoys = {
  node: { name: `decoy-node-${id}`, labels: { [LABEL.node]: NODE } },
  lab: { name: `decoy-lab-${id}`, labels: { [LABEL.lab]: FOREIGN_LAB } },
};
const DECOY_NETWORK = `decoy-net-${id}`;
/** A container labelled as `lab up` labels one: what every lab command must still find. */
const OWN_LAB = `own-${id}`;
const ownLabels = labLabels({ ...builtinScenario('rr-basic'), name: OWN_LAB }, 'test:lookalikes');
const ownContainer = (name: string) => ({ name, labels: { ...ownLabels, [LABEL.node]: name, [LABEL.role]: 'real-server' } });
const ownNode = ownContainer(`own-rs1-${id}`);
/** A second container of the same lab, so the `teardown all` test does not depend on the one before it. */
const ownNode2 = ownContainer(`own-rs2-${id}`);
/** Each CLI run costs seconds on a one-CPU guest (User-Mode Linux): tests that make three get room for them. */
const THREE_RUNS_MS = 120_000;
let image: string;

let runtime: DockerRuntime;
/** The decoys are made by hand, outside lab: straight through the Engine API. */
const docker = new Docker();

/** A container as someone would make it by hand: least privilege, no network, sleeping. */
async function startDecoy(decoy: { name: string; labels: Record<string, string> }, image: string): Promise<void> {
  const c = await docker.createContainer({
    name: decoy.name,
    Image: image,
    Cmd: ['sleep', 'infinity'],
    Labels: decoy.labels,
    HostConfig: { NetworkMode: 'none', CapDrop: ['ALL'], Init: true },
  });
  await c.start();
}

const exists = async (kind: 'container' | 'network', name: string) =>
  (kind === 'container' ? docker.getContainer(name) : docker.getNetwork(name))
    .inspect()
    .then(() => true, () => false);

beforeAll(async () => {
  runtime = await DockerRuntime.connect();
  image = await ensureHostImage(runtime);
  await startDecoy(decoys.node, image);
  await startDecoy(decoys.lab, image);
  await docker.createNetwork({ Name: DECOY_NETWORK, Internal: true, Labels: { [LABEL.lab]: FOREIGN_LAB } });
}, 300_000);

afterAll(async () => {
  for (const d of [...Object.values(decoys), ownNode, ownNode2]) await runtime.removeContainer(d.name).catch(() => undefined);
  await runtime.removeNetwork(DECOY_NETWORK).catch(() => undefined);
});

describe('a look-alike label is not a lab', () => {
  it.each([
    ['exec', ['exec', NODE, '--', 'touch', '/tmp/reached']],
    ['capture', ['capture', NODE, '-c', '1']],
    ['rs stop', ['rs', 'stop', NODE]],
    ['web stop', ['web', 'stop', NODE]],
  ])('`lab %s` on a container carrying only the node label does not reach it', async (_name, args) => {
    const r = await lab(args);
    expect([2, 3]).toContain(r.exitCode);
    expect(r.stderr).toContain(`error: No lab node named ${NODE}.`);
    expect(r.stderr).toMatch(/^fix: /m);
    expect(r.stderr).not.toContain('undefined');
    expect((await runtime.exec(decoys.node.name, ['sh', '-c', 'test ! -e /tmp/reached'])).exitCode).toBe(0);
  });

  it('`lab status` does not list a container carrying only the lab label', async () => {
    const r = await lab(['status', '--json']);
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout).labs.map((l: { lab: string }) => l.lab)).not.toContain(FOREIGN_LAB);
  });

  it('`lab teardown` of the look-alike lab removes nothing', async () => {
    const r = await lab(['teardown', FOREIGN_LAB, '--json']);
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ containers: [], networks: [] });
    for (const d of Object.values(decoys)) expect(await exists('container', d.name)).toBe(true);
    expect(await exists('network', DECOY_NETWORK)).toBe(true);
  });

  it('`lab teardown --all` leaves the look-alikes', async ({ skip }) => {
    // --all would also remove the labs of other test runs on this shared engine: only run it when there are none.
    const others = [...(await runtime.listContainers(labMade())), ...(await runtime.listNetworks(labMade()))];
    if (others.length > 0) skip(`labs of other runs are on this engine (${others.map((o) => o.name).join(', ')})`);
    const r = await lab(['teardown', '--all', '--json']);
    expect(r.exitCode).toBe(0);
    for (const d of Object.values(decoys)) expect(await exists('container', d.name)).toBe(true);
    expect(await exists('network', DECOY_NETWORK)).toBe(true);
  });

  it('a container lab made is still found by exec and status, and its teardown removes it', async () => {
    await startDecoy(ownNode, image);
    const r = await lab(['exec', ownNode.name, '--', 'sh', '-c', 'exit 7']);
    expect(r.exitCode).toBe(7);
    expect((await lab(['status', '--json'])).stdout).toContain(OWN_LAB);
    const down = await lab(['teardown', OWN_LAB, '--json']);
    expect(JSON.parse(down.stdout)).toMatchObject({ containers: [ownNode.name] });
    expect(await exists('container', ownNode.name)).toBe(false);
    for (const d of Object.values(decoys)) expect(await exists('container', d.name)).toBe(true);
  }, THREE_RUNS_MS);

  it('`lab teardown all` removes the lab named all, not every lab', async () => {
    await startDecoy(ownNode2, image);
    const r = await lab(['teardown', 'all', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ all: false, lab: 'all', containers: [], networks: [] });
    expect(await exists('container', ownNode2.name)).toBe(true);
  });
});
