import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { rootfsTar } from '../helpers/image.js';
import { CLI } from '../helpers/cli.js';
import { runInUml, umlAvailable, type UmlRun } from '../uml/harness.js';

/**
 * A step that fails after the IPVS check (only reachable on a kernel with IPVS): `up` must name the node,
 * the command, its exit code and stderr, say what to do, and leave nothing behind.
 */
const fixture = fileURLToPath(new URL('../fixtures/bad-route.yaml', import.meta.url));
let run: UmlRun;

beforeAll(async () => {
  const available = umlAvailable();
  if (!available.ok) throw new Error(`User-Mode Linux is needed for the real-kernel proof: ${available.reason} (.ci/run installs it)`);
  const tar = await rootfsTar();
  run = await runInUml({
    memory: '2G',
    hostMounts: [{ path: dirname(tar) }],
    commands: [
      { name: 'up', argv: [process.execPath, CLI, 'up', fixture], timeoutSeconds: 600 },
      { name: 'leftovers', argv: ['curl', '-s', '--unix-socket', '/var/run/docker.sock', '-G', 'http://d/containers/json', '--data-urlencode', 'all=1', '--data-urlencode', 'filters={"label":["io.lvs-lab.lab"]}'] },
    ],
  });
}, 900_000);

describe('a failing step on a real IPVS kernel', () => {
  it('stops `up` with exit 1, naming node, command, exit code and stderr, with what to do', () => {
    const up = run.results.find((r) => r.name === 'up')!;
    expect(up.exitCode).toBe(1);
    expect(up.stderr).toMatch(/error: Step failed on br-rs1: `ip route replace default via 10\.9\.9\.9` exited 2\./);
    expect(up.stderr).toMatch(/Nexthop has invalid gateway|Network is unreachable/);
    expect(up.stderr).toContain('fix: Why this step:');
    expect(up.stderr).toContain('--keep-on-failure');
    expect(up.stderr).toContain('Removed what this run made (3 containers (br-client, br-lvs, br-rs1), 1 network (bad_route))');
  });

  it('leaves nothing labelled behind', () => {
    expect(JSON.parse(run.results.find((r) => r.name === 'leftovers')!.stdout)).toEqual([]);
  });
});
