import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { rootfsTar } from '../helpers/image.js';
import { GUEST_BASE_ENV, REPO_ROOT, runInUml, umlAvailable, type GuestCommand, type GuestResult } from '../uml/harness.js';

/**
 * The CI recipes users copy (docs/ci/), run for real on a kernel with IPVS: User-Mode Linux stands in for
 * the runner. The plain shell recipe runs whole; the GitHub Actions workflow's `run:` steps run in order
 * with the job's env, as the runner's bash does (`bash --noprofile --norc -eo pipefail`). The one step not
 * run is the npm install (the guest has no network): `lab` comes from the checkout (`./lab`) instead.
 */
interface WorkflowStep {
  name?: string;
  run?: string;
  if?: string;
}
const workflow = parse(readFileSync(join(REPO_ROOT, 'docs/ci/github-actions.yml'), 'utf8')) as {
  jobs: { lab: { env: Record<string, string>; steps: WorkflowStep[] } };
};
const job = workflow.jobs.lab;
const isInstall = (s: WorkflowStep) => /npm install -g/.test(s.run ?? '');
const runSteps = job.steps.filter((s) => s.run && !isInstall(s));

const out = mkdtempSync(join(tmpdir(), 'lvs-lab-ci-recipe-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));
const withLab = { PATH: `${REPO_ROOT}:${GUEST_BASE_ENV.PATH}` };
// Straight to the engine's API, independent of lab: what is left with the lab label after each recipe?
const leftovers = (name: string): GuestCommand => ({
  name,
  argv: ['curl', '-s', '--unix-socket', '/var/run/docker.sock', '-G', 'http://d/containers/json', '--data-urlencode', 'all=1', '--data-urlencode', 'filters={"label":["io.lvs-lab.lab"]}'],
});
let results: GuestResult[];
const result = (name: string) => results.find((r) => r.name === name)!;

beforeAll(async () => {
  const available = umlAvailable();
  if (!available.ok) throw new Error(`User-Mode Linux is needed to run the CI recipes on a kernel with IPVS: ${available.reason}`);
  const tar = await rootfsTar();
  const run = await runInUml({
    memory: '3G',
    hostMounts: [{ path: dirname(tar) }, { path: out, writable: true }],
    commands: [
      { name: 'lab-ci.sh', argv: ['bash', join(REPO_ROOT, 'docs/ci/lab-ci.sh')], cwd: out, env: { ...withLab, RESULTS: join(out, 'sh') }, timeoutSeconds: 900 },
      leftovers('after-lab-ci.sh'),
      ...runSteps.map((s, i) => ({
        name: `gh-step-${i}`,
        argv: ['bash', '--noprofile', '--norc', '-eo', 'pipefail', '-c', s.run!],
        cwd: out,
        env: { ...job.env, ...withLab, RESULTS: join(out, 'gh') },
        timeoutSeconds: 900,
      })),
      leftovers('after-workflow'),
    ],
  });
  results = run.results;
  for (const r of results) process.stdout.write(`[uml] ${r.name}: exit ${r.exitCode} in ${r.seconds.toFixed(1)} s\n`);
}, 1_800_000);

/** What a failed step printed: its report (stdout) and its progress and errors (stderr), each cut to its end. */
const told = (step: string | undefined, r: GuestResult) =>
  `${step}: exit ${r.exitCode}\n--- stdout\n${r.stdout.slice(-3000)}\n--- stderr\n${r.stderr.slice(-2000)}`;

/** The JUnit report and captures a recipe left in RESULTS. */
function evidence(dir: string) {
  const xml = new XMLParser({ ignoreAttributes: false }).parse(readFileSync(join(out, dir, 'junit.xml'), 'utf8'));
  return { suite: xml.testsuites.testsuite, pcaps: readdirSync(join(out, dir, 'pcap')).sort() };
}

describe('the CI recipes on a kernel with IPVS (User-Mode Linux as the runner)', () => {
  it('docs/ci/lab-ci.sh: up, verify with JUnit and captures, teardown, exit 0, nothing left', () => {
    const r = result('lab-ci.sh');
    expect(r.exitCode, told('lab-ci.sh', r)).toBe(0);
    const { suite, pcaps } = evidence('sh');
    expect(suite['@_failures']).toBe('0');
    expect(Number(suite['@_tests'])).toBeGreaterThanOrEqual(6);
    expect(pcaps).toEqual(['client-eth0.pcap', 'lvs-eth0.pcap', 'rs1-eth0.pcap', 'rs2-eth0.pcap']);
    expect(r.stderr + r.stdout).toMatch(/Removed 4 containers/);
    expect(JSON.parse(result('after-lab-ci.sh').stdout)).toEqual([]);
  });

  it('the workflow runs only the install step it skips here, and every other step passes in order', () => {
    expect(job.steps.filter(isInstall)).toHaveLength(1);
    runSteps.forEach((s, i) => expect(result(`gh-step-${i}`).exitCode, told(s.name, result(`gh-step-${i}`))).toBe(0));
    expect(runSteps.at(-1)).toMatchObject({ if: 'always()', run: 'lab teardown "$SCENARIO"' });
    const { suite, pcaps } = evidence('gh');
    expect(suite['@_failures']).toBe('0');
    expect(pcaps).toHaveLength(4);
    expect(JSON.parse(result('after-workflow').stdout)).toEqual([]);
  });
});
