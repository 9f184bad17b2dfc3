import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { lab, REPO_ROOT } from '../helpers/cli.js';

// Every input here would fail later (at `up`, in Docker, or as a crash) and must be refused at once: exit 2,
// the field's path in the message, a fix. No engine is reachable, so anything that got as far as Docker
// would exit 3 instead.
const NO_ENGINE = { DOCKER_HOST: 'unix:///nonexistent/docker.sock' };
const dir = mkdtempSync(join(tmpdir(), 'lab-bad-'));
const rrBasic = readFileSync(join(REPO_ROOT, 'scenarios/rr-basic.yaml'), 'utf8');

/** Parsed YAML, changed freely: these files are meant to be wrong. */
type Scenario = Record<string, any>;
interface BadInput {
  name: string;
  /** The rr-basic file changed by this, or a whole file's text. */
  change?: (s: Scenario) => void;
  text?: string;
  /** Where the file goes in the command line; default `up FILE --dry-run`. */
  args?: (file: string) => string[];
  /** What the message must name: the field's path, or the problem when there is no field. */
  says: string;
}

const rs1 = (s: Scenario) => s.nodes[1];
const aliasBomb = ['a: &a [x, x, x, x, x, x, x, x, x]', ...'bcdefghi'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(', ')}]`)].join('\n');

const BAD_INPUTS: BadInput[] = [
  { name: 'a one-character node name (Docker needs two)', change: (s) => (rs1(s).name = 'r'), says: 'nodes[1].name:' },
  { name: 'an upper-case node name (a hostname)', change: (s) => (rs1(s).name = 'RS1'), says: 'nodes[1].name:' },
  { name: 'a node name with "_" (not a hostname)', change: (s) => (rs1(s).name = 'rs_1'), says: 'nodes[1].name:' },
  { name: 'a node name starting with "-"', change: (s) => (rs1(s).name = '-rs1'), says: 'nodes[1].name:' },
  { name: 'a node name ending with "-"', change: (s) => (rs1(s).name = 'rs1-'), says: 'nodes[1].name:' },
  { name: 'a node name of 64 characters', change: (s) => (rs1(s).name = 'r'.repeat(64)), says: 'nodes[1].name:' },
  { name: 'a node name with a space', change: (s) => (rs1(s).name = 'rs 1'), says: 'nodes[1].name:' },
  { name: 'a node name with a slash', change: (s) => (rs1(s).name = 'rs/1'), says: 'nodes[1].name:' },
  { name: 'the network named host', change: (s) => (s.networks[0].name = 'host'), says: 'networks[0].name: Docker reserves' },
  { name: 'the network named bridge', change: (s) => (s.networks[0].name = 'bridge'), says: 'networks[0].name: Docker reserves' },
  { name: 'a network name with a slash', change: (s) => (s.networks[0].name = 'lvs/dr'), says: 'networks[0].name:' },
  { name: 'a network name starting with "-"', change: (s) => (s.networks[0].name = '-lvs'), says: 'networks[0].name:' },
  { name: 'a network name of 65 characters', change: (s) => (s.networks[0].name = 'n'.repeat(65)), says: 'networks[0].name:' },
  { name: 'an image with a space and "!"', change: (s) => (s.defaults.image = 'Bad Image!'), says: 'defaults.image: not a Docker image reference' },
  { name: 'an empty image', change: (s) => (s.defaults.image = ''), says: 'defaults.image:' },
  { name: 'an upper-case repository', change: (s) => (s.nodes[0].image = 'Debian'), says: 'nodes[0].image:' },
  { name: 'an image with two tags', change: (s) => (s.nodes[0].image = 'debian:12:slim'), says: 'nodes[0].image:' },
  { name: 'an image tag of 129 characters', change: (s) => (s.nodes[0].image = `debian:${'t'.repeat(129)}`), says: 'nodes[0].image:' },
  { name: 'an image with a short digest', change: (s) => (s.nodes[0].image = 'debian@sha256:abc'), says: 'nodes[0].image:' },
  { name: 'an image path ending with "/"', change: (s) => (s.nodes[3].image = 'lvs-lab/'), says: 'nodes[3].image:' },
  { name: '--image with a space and "!"', args: (f) => ['up', f, '--dry-run', '--image', 'Bad Image!'], says: 'image: not a Docker image reference' },
  { name: 'an empty --image', args: (f) => ['up', f, '--dry-run', '--image', ''], says: 'image:' },
  { name: '`lab doctor --image` with a bad image', args: (f) => ['doctor', f, '--image', 'Bad Image!'], says: 'image: not a Docker image reference' },
  { name: 'the VIP on the network address', change: (s) => (s.service.vip = '172.20.0.0'), says: 'service.vip: 172.20.0.0 is the network or broadcast address' },
  { name: 'the VIP on the broadcast address', change: (s) => (s.service.vip = '172.20.255.255'), says: 'service.vip: 172.20.255.255 is the network or broadcast address' },
  { name: 'the VIP on the Docker gateway', change: (s) => (s.service.vip = '172.20.0.1'), says: 'service.vip: 172.20.0.1 is the Docker gateway' },
  { name: 'the VIP outside the network', change: (s) => (s.service.vip = '10.0.0.100'), says: 'service.vip: not inside 172.20.0.0/16' },
  { name: 'a VIP that is not an address', change: (s) => (s.service.vip = '172.20.1.300'), says: 'service.vip: not an IPv4 address' },
  { name: 'a node on the broadcast address', change: (s) => (rs1(s).address = '172.20.255.255'), says: 'nodes[1].address: 172.20.255.255 is the network or broadcast address' },
  { name: 'a node on the network address', change: (s) => (rs1(s).address = '172.20.0.0'), says: 'nodes[1].address: 172.20.0.0 is the network or broadcast address' },
  { name: 'a node on the gateway', change: (s) => (rs1(s).address = '172.20.0.1'), says: 'nodes[1].address: 172.20.0.1 is the Docker gateway' },
  { name: 'a 2 MB description', change: (s) => (s.description = 'x'.repeat(2_000_000)), says: 'description: at most 4096 characters' },
  {
    name: '60 real servers with 1000-character unicode pages (labels too big for the Engine API)',
    change: (s) => s.nodes.push(...Array.from({ length: 60 }, (_, i) => ({ name: `rs${i + 10}`, role: 'real-server', address: `172.20.2.${i + 10}`, page: `${i} ${'日'.repeat(1000)}` }))),
    says: "(top level): the scenario is 551 KB as sent to Docker in each container's labels, at most 256 KB",
  },
  { name: 'a title of 201 characters', change: (s) => (s.title = 't'.repeat(201)), says: 'title: at most 200 characters' },
  { name: 'a page of 5000 characters', change: (s) => (rs1(s).page = 'p'.repeat(5000)), says: 'nodes[1].page: at most 4096 characters' },
  { name: 'a page with a NUL', change: (s) => (rs1(s).page = 'a\0b'), says: 'nodes[1].page: contains a NUL' },
  { name: 'two real servers with the same page', change: (s) => (s.nodes[2].page = ` ${rs1(s).page} `), says: 'nodes[2].page: the same page as rs1' },
  { name: 'a VIP label longer than an interface label', change: (s) => (s.nodes[0].vipLabel = 'eth0:abcdefghijk'), says: 'nodes[0].vipLabel: at most 15 characters' },
  { name: '33 routes on one node', change: (s) => (rs1(s).routes = Array.from({ length: 33 }, (_, i) => ({ to: `10.${i}.0.0/16`, via: '172.20.1.1' }))), says: 'nodes[1].routes:' },
  { name: '65 nodes', change: (s) => s.nodes.push(...Array.from({ length: 62 }, (_, i) => ({ name: `c${i + 10}`, role: 'client', address: `172.20.2.${i + 10}` }))), says: 'nodes: ' },
  { name: 'a port above 65535', change: (s) => (s.service.port = 70000), says: 'service.port:' },
  { name: 'an unknown key on a node', change: (s) => (rs1(s).pgae = 'typo'), says: 'nodes[1]: Unrecognized key' },
  { name: 'an empty scenario name', change: (s) => (s.name = ''), says: 'name:' },
  { name: 'a YAML alias bomb (billion laughs)', text: aliasBomb, says: 'expands its YAML aliases' },
  { name: 'a file that is not YAML', text: 'nodes: [a, b\nname: x: y', says: 'is not valid YAML' },
  { name: '`lab images import --tag` with a bad image', args: (f) => ['images', 'import', f, '--tag', 'Bad Tag!'], says: 'tag: not a Docker image reference' },
  { name: '`lab images build --tag` with a bad image', args: () => ['images', 'build', '--offline', '--tag', 'UPPER'], says: 'tag: not a Docker image reference' },
  { name: '`lab teardown ""`', args: () => ['teardown', ''], says: 'Say which lab to remove.' },
];

let tried = 0;
afterAll(() => {
  const all = tried === BAD_INPUTS.length ? 'all' : `only ${tried}`;
  process.stdout.write(`${BAD_INPUTS.length} bad inputs tried, ${all} refused with exit 2 and their path\n`);
});

describe.concurrent('bad inputs are refused before anything runs: exit 2, the path, a fix', () => {
  it.each(BAD_INPUTS.map((b, i) => [b.name, b, i] as const))('%s', async (_name, bad, i) => {
    const file = join(dir, `bad-${i}.yaml`);
    let text = bad.text ?? rrBasic;
    if (bad.change) {
      const data = parse(rrBasic);
      bad.change(data);
      text = stringify(data);
    }
    writeFileSync(file, text);
    const r = await lab(bad.args?.(file) ?? ['up', file, '--dry-run'], { env: NO_ENGINE });
    expect(r.stderr).toContain(bad.says);
    expect(r.stderr).toMatch(/^fix: /m);
    expect(r.stderr).not.toMatch(/unexpected error|\n\s+at /);
    expect(r.exitCode).toBe(2);
    tried += 1;
  });
});
