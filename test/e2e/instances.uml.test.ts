import { dirname } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEBIAN_IMAGE } from '../../src/image-names.js';
import { cidrContains, cidrsOverlap, parseCidr } from '../../src/scenario/ipv4.js';
import { CLI } from '../helpers/cli.js';
import { rootfsTar } from '../helpers/image.js';
import { runInUml, shQuote, umlAvailable, type GuestResult, type UmlRun } from '../uml/harness.js';

/**
 * Lab instances on a real IPVS kernel (issue #12, part 2): three labs on one engine in User-Mode Linux, two
 * instances of rr-basic (a, b) and one of wrr (c), all three `up` started at once. Each is verified with all
 * its checks while the others run, then they are torn down one at a time, the others verified again after
 * each; the engine's own listing (curl on its socket, not lab's code) shows nothing of the others touched.
 */
const lab = (name: string, ...args: string[]) => ({ name, argv: [process.execPath, CLI, ...args] });
const LABS = { a: 'rr-basic', b: 'rr-basic', c: 'wrr' } as const;
type LabName = keyof typeof LABS;
const NAMES = Object.keys(LABS) as LabName[];

/** The three `up`s at once, each one's output in its own files; prints `a=0 b=0 c=0`, their exit codes. */
const UP_DIR = '/tmp/instances';
const upAtOnce = [
  `mkdir -p ${UP_DIR}`,
  // --init none: nine systemd nodes booting at once on the guest's one CPU take minutes (up's boot limit grows
  // with them, `bench.sh scale` measures it); without systemd the web servers start with apachectl, same checks.
  ...NAMES.map((n) => `(${[process.execPath, CLI, 'up', LABS[n], '--name', n, '--no-verify', '--init', 'none'].map(shQuote).join(' ')} ` +
    `>${UP_DIR}/${n}.out 2>${UP_DIR}/${n}.err; echo $? >${UP_DIR}/${n}.rc) &`),
  'wait',
  `for n in ${NAMES.join(' ')}; do printf '%s=%s ' $n "$(cat ${UP_DIR}/$n.rc)"; done`,
].join('\n');

/** Every lab-made container and network, straight from the engine's API. */
const engineObjects = (name: string) => ({
  name,
  argv: ['sh', '-c', ['containers/json', 'networks'].map((path) =>
    `curl -s --unix-socket /var/run/docker.sock -G http://d/${path} --data-urlencode all=1 ` +
    `--data-urlencode 'filters={"label":["io.lvs-lab.lab"]}'`).join('; echo; ')],
});

let run: UmlRun;
const result = (name: string): GuestResult => {
  const r = run.results.find((x) => x.name === name);
  if (!r) throw new Error(`no result for ${name}`);
  return r;
};

interface EngineObject { Id: string; Labels: Record<string, string> }
/** Each lab's container and network ids, as the engine listed them at that point. */
function objectsAt(name: string): Record<string, { containers: string[]; networks: string[] }> {
  const [containers, networks] = result(name).stdout.trim().split(/\n+/).map((l) => JSON.parse(l) as EngineObject[]);
  const byLab: Record<string, { containers: string[]; networks: string[] }> = {};
  const add = (kind: 'containers' | 'networks', o: EngineObject) => {
    const owner = o.Labels['io.lvs-lab.lab']!;
    byLab[owner] ??= { containers: [], networks: [] };
    byLab[owner][kind].push(o.Id);
  };
  containers!.forEach((o) => add('containers', o));
  networks!.forEach((o) => add('networks', o));
  for (const own of Object.values(byLab)) (['containers', 'networks'] as const).forEach((k) => own[k].sort());
  return byLab;
}

const VERIFY_ROUNDS = [
  { stage: 'all-up', labs: NAMES },
  { stage: 'a-down', labs: ['b', 'c'] as LabName[] },
  { stage: 'b-down', labs: ['c'] as LabName[] },
];
const verifyName = (stage: string, n: LabName) => `${stage}:verify-${n}`;

beforeAll(async () => {
  const available = umlAvailable();
  if (!available.ok) throw new Error(`User-Mode Linux is needed for the real-kernel proof: ${available.reason} (.ci/run installs it)`);
  const tar = await rootfsTar();
  const verifies = (round: (typeof VERIFY_ROUNDS)[number]) =>
    round.labs.map((n) => ({ ...lab(verifyName(round.stage, n), 'verify', n, '--json'), timeoutSeconds: 600 }));
  run = await runInUml({
    // Three labs at once: twelve containers.
    memory: '4G',
    dockerTmpfs: '3G',
    // One CPU: the image import, three labs coming up side by side, seven verifications; about 15 minutes.
    timeoutSeconds: 2700,
    hostMounts: [{ path: dirname(tar) }],
    commands: [
      // Once, before the three: each `up` would otherwise find the image missing and import it itself.
      { ...lab('import', 'images', 'import', tar), timeoutSeconds: 900, stopOnFailure: true },
      { name: 'up-at-once', argv: ['sh', '-c', upAtOnce], timeoutSeconds: 1500 },
      ...NAMES.map((n) => ({ name: `up-log-${n}`, argv: ['cat', `${UP_DIR}/${n}.err`] })),
      lab('status', 'status', '--json'),
      lab('status-human', 'status'),
      lab('ambiguous-node', 'exec', 'lvs', '--', 'true'),
      lab('exec-a-table', 'exec', 'a', 'lvs', '--', 'ipvsadm', '-Ln'),
      lab('exec-c-table', 'exec', 'c', 'lvs', '--', 'ipvsadm', '-Ln'),
      ...verifies(VERIFY_ROUNDS[0]!),
      engineObjects('objects-all-up'),
      lab('teardown-a', 'teardown', 'a'),
      engineObjects('objects-a-down'),
      ...verifies(VERIFY_ROUNDS[1]!),
      lab('teardown-b', 'teardown', 'b'),
      engineObjects('objects-b-down'),
      ...verifies(VERIFY_ROUNDS[2]!),
      lab('teardown-c', 'teardown', 'c'),
      engineObjects('objects-none'),
    ],
  });
  process.stdout.write(`[uml] dockerd ready at ${run.dockerReadySeconds.toFixed(1)} s; whole run ${run.totalSeconds.toFixed(1)} s\n`);
  for (const r of run.results) process.stdout.write(`[uml] ${r.name}: exit ${r.exitCode} in ${r.seconds.toFixed(1)} s\n`);
}, 2_800_000);

interface StatusLab {
  lab: string;
  scenario: string;
  networks: Array<{ name: string; subnet: string }>;
  nodes: Array<{ node: string; container: string; addresses: Record<string, string> }>;
}
const statusLabs = () => (JSON.parse(result('status').stdout) as { labs: StatusLab[] }).labs;

describe('three lab instances on one engine (User-Mode Linux, real IPVS)', () => {
  it('the image is imported once, then all three `up --name` started at once come up', () => {
    expect(result('import').exitCode, result('import').stderr).toBe(0);
    expect(result('import').stdout).toContain(`Image ${DEBIAN_IMAGE} is ready.`);
    const up = result('up-at-once');
    const logs = NAMES.map((n) => `--- ${n}\n${result(`up-log-${n}`).stdout}`).join('\n');
    expect(up.stdout.trim(), logs).toBe('a=0 b=0 c=0');
    for (const n of NAMES) expect(result(`up-log-${n}`).stdout).toContain("==> Configure the director");
  });

  it('`lab status --json` lists each lab with its instance name, scenario, its own subnets and nodes', () => {
    const labs = statusLabs();
    expect(labs.map((l) => [l.lab, l.scenario]).sort()).toEqual(NAMES.map((n) => [n, LABS[n]]));
    const subnets = labs.flatMap((l) => l.networks.map((n) => parseCidr(n.subnet)!));
    expect(subnets).toHaveLength(3);
    subnets.forEach((s, i) => subnets.slice(i + 1).forEach((t) => expect(cidrsOverlap(s, t), `${s.network} ${t.network}`).toBe(false)));
    // None on the tutorials' own subnets (rr-basic's overlaps containerlab's 172.20.20.0/24): all in 10.128.0.0/9.
    subnets.forEach((s) => expect(cidrContains({ network: '10.128.0.0', prefix: 9 }, s.network)).toBe(true));
    for (const l of labs) {
      expect(l.networks.map((n) => n.name)).toEqual([`${l.lab}-${l.scenario === 'wrr' ? 'lvs_wrr' : 'lvs_dr'}`]);
      expect(l.nodes.map((n) => n.node)).toEqual(['client', 'lvs', 'rs1', 'rs2']);
      for (const node of l.nodes) {
        expect(node.container).toBe(`${l.lab}-${node.node}`);
        const address = node.addresses[l.networks[0]!.name]!;
        expect(cidrContains(parseCidr(l.networks[0]!.subnet)!, address), `${node.container} ${address}`).toBe(true);
      }
    }
    const human = result('status-human').stdout;
    for (const l of labs) expect(human).toContain(`${l.lab}: scenario ${l.scenario} (builtin:${l.scenario}), ${l.networks[0]!.name} ${l.networks[0]!.subnet}`);
  });

  it('a node name in several labs needs its lab: exit 2 listing them, with a fix; with it, that lab\'s node', () => {
    const ambiguous = result('ambiguous-node');
    expect(ambiguous.exitCode).toBe(2);
    expect(ambiguous.stderr).toContain('Node lvs is in 3 labs: a, b, c.');
    expect(ambiguous.stderr).toContain('fix: Name its lab before the node, e.g. `lab exec a lvs -- hostname`');
    const vipOf = (name: LabName) => {
      const l = statusLabs().find((x) => x.lab === name)!;
      const director = l.nodes.find((n) => n.node === 'lvs')!.addresses[l.networks[0]!.name]!;
      return { l, director };
    };
    for (const name of ['a', 'c'] as const) {
      const table = result(`exec-${name}-table`);
      expect(table.exitCode, table.stderr).toBe(0);
      const { l } = vipOf(name);
      const prefix = l.networks[0]!.subnet.split('.').slice(0, name === 'c' ? 3 : 2).join('.');
      // The director's table balances its own instance's VIP to its own real servers, and nobody else's.
      expect(table.stdout).toMatch(new RegExp(`TCP  ${prefix.replace(/\./g, '\\.')}\\.\\d+\\.?\\d*:80`));
      const others = statusLabs().filter((x) => x.lab !== name).map((x) => x.networks[0]!.subnet.split('/')[0]!.split('.').slice(0, 3).join('.'));
      for (const other of others) expect(table.stdout).not.toContain(`${other}.`);
    }
  });

  for (const round of VERIFY_ROUNDS) {
    for (const n of round.labs) {
      it(`${round.stage}: \`lab verify ${n}\` passes every check while ${NAMES.filter((x) => x !== n && round.labs.includes(x)).join(' and ') || 'no other lab'} runs`, () => {
        const v = result(verifyName(round.stage, n));
        expect(v.exitCode, v.stderr + v.stdout.slice(0, 2000)).toBe(0);
        const report = JSON.parse(v.stdout) as { ok: boolean; lab: string; checks: Array<{ id: string; status: string }> };
        expect(report.ok).toBe(true);
        expect(report.lab).toBe(n);
        expect(report.checks.length).toBeGreaterThan(3);
        expect(report.checks.filter((c) => c.status !== 'pass'), JSON.stringify(report.checks)).toEqual([]);
        const scheduling = report.checks.find((c) => c.id === 'scheduling');
        expect(scheduling?.status).toBe('pass');
      });
    }
  }

  it('teardown of one lab removes its containers and networks only: the others\' are the very same objects', () => {
    const allUp = objectsAt('objects-all-up');
    expect(Object.keys(allUp).sort()).toEqual(NAMES);
    for (const n of NAMES) expect([allUp[n]!.containers.length, allUp[n]!.networks.length]).toEqual([4, 1]);
    for (const [stage, gone] of [['objects-a-down', ['a']], ['objects-b-down', ['a', 'b']], ['objects-none', NAMES]] as const) {
      expect(result(`teardown-${gone.at(-1)}`).exitCode, result(`teardown-${gone.at(-1)}`).stderr).toBe(0);
      const now = objectsAt(stage);
      const left = NAMES.filter((n) => !(gone as readonly string[]).includes(n));
      expect(Object.keys(now).sort(), stage).toEqual(left);
      for (const n of left) expect(now[n], `${stage}: lab ${n}`).toEqual(allUp[n]);
    }
  });
});
