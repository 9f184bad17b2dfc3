import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/cli.js';

/**
 * The npm package as a user gets it: packed from a copy of the checkout that has no dist/ (as a clean
 * clone has none, so `prepack` must build it), installed with `npm install -g` into an empty prefix, and
 * run from there: both bins, the commands that need no engine, and every file a message names.
 */
const work = mkdtempSync(join(tmpdir(), 'lvs-lab-pack-'));
const prefix = join(work, 'prefix');
const bin = (name: string) => join(prefix, 'bin', name);
const installed = join(prefix, 'lib', 'node_modules', 'lvs-lab');
let tarball: string;
let packed: string[];

const run = (file: string, args: string[], cwd = work) => {
  const r = spawnSync(file, args, { cwd, encoding: 'utf8', timeout: 240_000, env: { ...process.env, DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
  return { exitCode: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
};

/** The checkout's files as git knows them (tracked, or new and not ignored): what a clone would have. */
function copyCheckout(to: string): void {
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: REPO_ROOT, encoding: 'utf8' })
    .split('\0')
    .filter((f) => f && existsSync(join(REPO_ROOT, f)));
  for (const f of files) {
    mkdirSync(dirname(join(to, f)), { recursive: true });
    copyFileSync(join(REPO_ROOT, f), join(to, f));
  }
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(to, 'node_modules')); // for prepack's tsc
}

beforeAll(() => {
  const clone = join(work, 'clone');
  copyCheckout(clone);
  expect(existsSync(join(clone, 'dist'))).toBe(false);
  const pack = run('npm', ['pack', '--json', '--pack-destination', work, '--loglevel=error'], clone);
  expect(pack.exitCode, pack.stderr).toBe(0);
  const [info] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarball = join(work, info!.filename);
  packed = info!.files.map((f) => f.path);
  const install = run('npm', ['install', '-g', '--prefix', prefix, tarball, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error']);
  expect(install.exitCode, install.stderr).toBe(0);
}, 300_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the npm package, installed into an empty prefix', () => {
  it('holds the built CLI, LICENSE and README, and no source maps pointing at unshipped sources', () => {
    expect(packed).toEqual(expect.arrayContaining(['dist/cli/main.js', 'LICENSE', 'README.md', 'package.json']));
    expect(packed.filter((f) => f.endsWith('.map') || f.startsWith('src/') || f.startsWith('test/'))).toEqual([]);
    expect(readFileSync(join(installed, 'LICENSE'), 'utf8')).toContain('MIT License');
  });

  it('every shipped file that the README or a message names is in the package', () => {
    // lab's own modules; the CLI's bundle holds the same code plus its dependencies (whose Engine API paths,
    // like images/create, are no files).
    const own = jsFiles(join(installed, 'dist')).filter((f) => !/\/dist\/cli\/(main\.js$|chunks\/)/.test(f));
    const texts = [readFileSync(join(installed, 'README.md'), 'utf8'), ...own.map((f) => readFileSync(f, 'utf8'))];
    const named = new Set(texts.flatMap((t) => [...t.matchAll(/\b((?:scripts|docs|images|scenarios)\/[\w.\/-]*\w)/g)].map((m) => m[1]!)));
    expect(named.size).toBeGreaterThan(5);
    const missing = [...named].filter((p) => !packed.some((f) => f === p || f.startsWith(`${p}/`)));
    expect(missing).toEqual([]);
  });

  it.each(['lab', 'lvs-lab'])('`%s --help` and `list` work', (name) => {
    const help = run(bin(name), ['--help']);
    expect(help.exitCode, help.stderr).toBe(0);
    expect(help.stdout).toContain('up [options] <scenario>');
    const list = run(bin(name), ['list']);
    expect(list.exitCode, list.stderr).toBe(0);
    expect(list.stdout).toContain('rr-basic');
  });

  it('`lab up rr-basic --dry-run` prints the plan from the installed scenarios', () => {
    const r = run(bin('lab'), ['up', 'rr-basic', '--dry-run']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('[lvs] ipvsadm -A -t 172.20.1.100:80 -s rr');
  });

  it('`lab images build --offline --tar-only` gives the image tarball, built from the installed recipe', () => {
    const r = run(bin('lab'), ['images', 'build', '--offline', '--tar-only']);
    expect(r.exitCode, r.stderr).toBe(0);
    const tar = r.stdout.trim().split('\n').at(-1)!;
    expect(tar).toMatch(/debian-bookworm-[0-9a-f]{12}\.tar$/);
    expect(existsSync(tar)).toBe(true);
  });

  it('the User-Mode Linux route that messages name is installed and executable', () => {
    const r = run(process.execPath, ['--input-type=module', '-e', `import('${join(installed, 'dist', 'package.js')}').then((m) => console.log(m.UML_LAB_SCRIPT))`]);
    expect(r.stdout.trim()).toBe(join(installed, 'scripts', 'uml-lab.sh'));
    accessSync(r.stdout.trim(), constants.X_OK);
    for (const f of ['scripts/uml.sh', 'scripts/uml-guest-init.sh', 'scripts/host-programs']) expect(existsSync(join(installed, f))).toBe(true);
  });
});

function jsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? jsFiles(join(dir, e.name)) : e.name.endsWith('.js') ? [join(dir, e.name)] : [],
  );
}
