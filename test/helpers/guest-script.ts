import { execFileSync } from 'node:child_process';
import { join, relative } from 'node:path';
import { REPO_ROOT } from './cli.js';

/**
 * Compiles a TypeScript script (and what it imports) to JavaScript for a User-Mode Linux guest, which runs the
 * host's node but no TypeScript loader. The output stays inside the checkout (git-ignored test-output/), so
 * its imports of npm packages resolve to this checkout's node_modules. Returns the compiled file.
 */
export function compileForGuest(script: string): string {
  const outDir = join(REPO_ROOT, 'test-output', 'guest-scripts');
  const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  execFileSync(process.execPath, [
    tsc, '--outDir', outDir, '--rootDir', REPO_ROOT, '--module', 'nodenext', '--moduleResolution', 'nodenext',
    '--target', 'es2022', '--strict', '--skipLibCheck', '--types', 'node', script,
  ], { stdio: 'pipe', timeout: 120_000 });
  return join(outDir, relative(REPO_ROOT, script)).replace(/\.ts$/, '.js');
}
