import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { lab, REPO_ROOT } from '../helpers/cli.js';

// The commands that need no engine load no Docker client and no spinners: every module the process
// resolves is recorded by a loader hook. The CLI is a bundle (scripts/bundle.mjs): the files that hold
// dockerode, ssh2 or ora, as esbuild's metafile says, must not be among those modules.
const dir = mkdtempSync(join(tmpdir(), 'lvs-lab-imports-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const hook = pathToFileURL(join(REPO_ROOT, 'test/helpers/record-imports.mjs')).href;
const LAZY_PACKAGES = /node_modules\/(dockerode|ora|docker-modem|ssh2)\//;
/** Only an ssh:// engine needs ssh2 (runtime/ssh-agent.ts loads it at the first login). */
const SSH_PACKAGES = /node_modules\/ssh2\//;
/** Only a command that reads a scenario's YAML needs the parser (scenario/load.ts loads it then). */
const YAML_PACKAGE = /node_modules\/yaml\//;

/** The bundle's files (as paths under dist/) holding any of PACKAGES. */
function filesHolding(packages: RegExp): string[] {
  type Meta = { outputs: Record<string, { inputs: Record<string, unknown> }> };
  const meta = JSON.parse(readFileSync(join(REPO_ROOT, 'dist/cli/chunks/meta.json'), 'utf8')) as Meta;
  return Object.entries(meta.outputs)
    .filter(([, output]) => Object.keys(output.inputs).some((input) => packages.test(input)))
    .map(([file]) => file.slice(file.indexOf('dist/')));
}
const loaded = (packages: RegExp) => {
  const files = filesHolding(packages);
  return (urls: string[]) => urls.filter((u) => files.some((f) => u.endsWith(f)) || packages.test(u));
};
const lazyFiles = filesHolding(LAZY_PACKAGES);
const loadsLazy = loaded(LAZY_PACKAGES);
const loadsSsh = loaded(SSH_PACKAGES);
const loadsYaml = loaded(YAML_PACKAGE);

/** `lab ARGS` run with the hook: its exit code and every module URL it resolved. */
async function recordImports(args: string[], env: Record<string, string> = {}) {
  const log = join(dir, `${args.join('_').replace(/\W/g, '_')}.log`);
  const r = await lab(args, { env: { NODE_OPTIONS: `--import=${hook}`, LAB_IMPORTS_LOG: log, ...env } });
  return { ...r, urls: readFileSync(log, 'utf8').split('\n').filter(Boolean) };
}

async function importsOf(args: string[]): Promise<string[]> {
  const r = await recordImports(args);
  expect(r.exitCode, r.stderr).toBe(0);
  return r.urls;
}

describe('commands that need no engine load neither dockerode, ssh2 nor ora', () => {
  it.each([[['list']], [['--help']], [['up', 'rr-basic', '--dry-run']], [['up', '--help']]])('lab %j', async (args) => {
    const urls = await importsOf(args);
    expect(urls.some((u) => u.endsWith('/dist/cli/main.js'))).toBe(true); // the hook saw the CLI itself
    expect(loadsLazy(urls)).toEqual([]);
  });

  it('a command that talks to the engine does load dockerode (the hook would see it)', async () => {
    const { urls } = await recordImports(['status'], { DOCKER_HOST: 'unix:///nonexistent.sock' });
    expect(lazyFiles).toContainEqual(expect.stringMatching(/^dist\/cli\/chunks\/docker-/));
    expect(loadsLazy(urls)).not.toEqual([]);
    expect(loadsSsh(urls)).toEqual([]); // a unix socket: no ssh client
    expect(filesHolding(SSH_PACKAGES)).not.toEqual([]); // (it is in the bundle, in a file of its own)
  });
});

describe('only a command that reads a scenario file loads the YAML parser', () => {
  // A lab's scenario comes from its labels (JSON): `verify` and `status` read no YAML.
  // The exit code is the engine's (0 or 3 for status; 3 for verify: no such lab, or no engine) but never a crash.
  it.each([[['verify', 'no-such-lab']], [['status']]])('lab %j does not', async (args) => {
    const r = await recordImports(args);
    expect(args[0] === 'status' ? [0, 3] : [3], r.stderr).toContain(r.exitCode);
    expect(r.urls.some((u) => u.endsWith('/dist/cli/main.js'))).toBe(true);
    expect(loadsYaml(r.urls)).toEqual([]);
  });

  it('lab up rr-basic --dry-run does (the hook would see it)', async () => {
    expect(filesHolding(YAML_PACKAGE)).not.toContain('dist/cli/main.js');
    expect(loadsYaml(await importsOf(['up', 'rr-basic', '--dry-run']))).not.toEqual([]);
  });
});

it('the bundle leaves out the Docker client\'s BuildKit code (gRPC, protobufjs) and zod\'s other languages, which lab never runs', () => {
  expect(filesHolding(/node_modules\/(protobufjs|@grpc|long)\//)).toEqual([]);
  expect(filesHolding(/node_modules\/zod\/.*\/locales\/(?!en\.js)/)).toEqual([]);
  expect(filesHolding(/node_modules\/zod\/.*\/locales\/en\.js/)).toEqual(['dist/cli/main.js']); // (the pattern sees zod's)
});
