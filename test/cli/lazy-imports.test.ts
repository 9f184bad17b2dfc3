import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { lab, REPO_ROOT } from '../helpers/cli.js';

// The commands that need no engine load no Docker client and no spinners: every module the process
// resolves is recorded by a loader hook, and dockerode (with its ssh2 & co) and ora must not be among them.
const dir = mkdtempSync(join(tmpdir(), 'lvs-lab-imports-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const hook = pathToFileURL(join(REPO_ROOT, 'test/helpers/record-imports.mjs')).href;

async function importsOf(args: string[]): Promise<string[]> {
  const log = join(dir, `${args.join('_').replace(/\W/g, '_')}.log`);
  const r = await lab(args, { env: { NODE_OPTIONS: `--import=${hook}`, LAB_IMPORTS_LOG: log } });
  expect(r.exitCode, r.stderr).toBe(0);
  return readFileSync(log, 'utf8').split('\n').filter(Boolean);
}

describe('commands that need no engine load neither dockerode nor ora', () => {
  it.each([[['list']], [['--help']], [['up', 'rr-basic', '--dry-run']], [['up', '--help']]])('lab %j', async (args) => {
    const urls = await importsOf(args);
    expect(urls.some((u) => u.includes('/dist/cli/'))).toBe(true); // the hook saw the CLI's own modules
    expect(urls.filter((u) => /node_modules\/(dockerode|ora|docker-modem)\//.test(u))).toEqual([]);
  });

  it('a command that talks to the engine does load dockerode (the hook would see it)', async () => {
    const log = join(dir, 'status.log');
    await lab(['status'], { env: { NODE_OPTIONS: `--import=${hook}`, LAB_IMPORTS_LOG: log, DOCKER_HOST: 'unix:///nonexistent.sock' } });
    expect(readFileSync(log, 'utf8')).toMatch(/node_modules\/dockerode\//);
  });
});
