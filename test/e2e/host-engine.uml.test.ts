import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rootfsTar } from '../helpers/image.js';
import { REPO_ROOT, runInUml, umlAvailable, type GuestResult } from '../uml/harness.js';

/**
 * The host-engine test files (test/integration), unchanged, on a Docker host whose kernel has
 * IPVS and whose engine allows --privileged: the kind most Ubuntu and Debian installs are, and the README's
 * direct path (`./lab up rr-basic` on the host's own engine). User-Mode Linux is that host here: a real
 * kernel with IPVS and a dockerd of its own. The same files run on this machine's engine in the same
 * `npm test`, so both kinds of host are asserted.
 */
// test/cli is not among them: its files need no engine (each points DOCKER_HOST at a socket that does not
// exist), so the kind of host changes nothing they assert, and they cost the one CPU about 5 minutes.
const HOST_ENGINE_TESTS = ['test/integration'];

interface VitestJson {
  numTotalTests: number;
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  testResults: Array<{
    name: string;
    /** Why a whole file failed (its beforeAll, its import). */
    message?: string;
    assertionResults: Array<{ fullName: string; status: string; failureMessages?: string[] }>;
  }>;
}

const out = mkdtempSync(join(tmpdir(), 'lvs-lab-host-engine-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));
let run: GuestResult;
let report: VitestJson;

beforeAll(async () => {
  const available = umlAvailable();
  if (!available.ok) throw new Error(`User-Mode Linux is needed to run the tests on a host with IPVS: ${available.reason} (scripts/setup.sh installs it)`);
  const tar = await rootfsTar();
  const uml = await runInUml({
    memory: '3G',
    hostMounts: [{ path: dirname(tar) }, { path: out, writable: true }],
    commands: [
      {
        name: 'host-engine-tests',
        argv: [
          process.execPath, join(REPO_ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'run', ...HOST_ENGINE_TESTS,
          // The checkout is read-only in the guest: no bundled config file written next to it, no cache.
          '--configLoader=runner', '--no-cache', '--maxWorkers=1', '--reporter=default', '--reporter=json', `--outputFile.json=${join(out, 'report.json')}`,
        ],
        env: { CI: 'true' },
        // The reliability file adds a few minutes (a dockerd of its own, an image import into it, ~20 lab runs),
        // the remote-engine file a few more (an sshd in front of the engine, a lab up over it).
        timeoutSeconds: 3000,
      },
    ],
    timeoutSeconds: 3200,
  });
  run = uml.results[0]!;
  report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as VitestJson;
  process.stdout.write(`[uml] host-engine tests: exit ${run.exitCode} in ${run.seconds.toFixed(1)} s, ${report.numPassedTests}/${report.numTotalTests} passed\n`);
}, 3_300_000);

/** Each failed file's and test's own message (an assertion's diff, a CLI's stderr), as the guest's report has them. */
function failureText(r: VitestJson): string {
  const cut = (text: string) => (text.length > 3000 ? `${text.slice(0, 3000)}...` : text);
  return r.testResults.flatMap((f) => [
    ...(f.message ? [`${f.name}: ${cut(f.message)}`] : []),
    ...f.assertionResults.filter((a) => a.failureMessages?.length).map((a) => `${a.fullName}:\n${cut(a.failureMessages!.join('\n'))}`),
  ]).join('\n\n');
}

describe('the host-engine tests on a host with IPVS and --privileged (User-Mode Linux)', () => {
  it('found that kind of host', () => {
    expect(run.stdout).toContain('[host-kind] IPVS, privileged allowed');
    expect(run.stdout).not.toMatch(/\[host-kind\] (no IPVS|.*refused)/);
  });

  it('every test passed, none skipped', () => {
    const failed = report.testResults.flatMap((f) => f.assertionResults.filter((a) => a.status !== 'passed').map((a) => `${a.fullName}: ${a.status}`));
    expect(failed, failureText(report) || run.stdout.slice(-4000)).toEqual([]);
    expect(run.exitCode).toBe(0);
    expect(report.numPendingTests).toBe(0);
    expect(report.numTotalTests).toBeGreaterThanOrEqual(20);
  });

  it('the README\'s direct path was taken: `lab up rr-basic` on the engine itself built and verified it', () => {
    const names = report.testResults.flatMap((f) => f.assertionResults.map((a) => a.fullName));
    expect(names).toContain(
      'lab up rr-basic on this host (IPVS, privileged allowed) `up` runs the doctor checks (all green), builds rr-basic, passes every DR check; teardown removes it',
    );
  });
});
