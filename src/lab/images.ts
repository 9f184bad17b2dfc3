import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { environmentError } from '../errors.js';
import type { ImageBase, OfflineBase } from '../image-names.js';
import type { DockerRuntime } from '../runtime/docker.js';
import { shipped } from '../package.js';

/** `docker import` keeps no CMD from a tarball; the lab's images boot systemd by default. */
export const IMPORT_CHANGES = ['CMD ["/usr/sbin/init"]'];

const IMAGES_DIR = shipped('images');

export function imageCacheDir(): string {
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'lvs-lab');
}

interface RootfsOptions {
  out?: string;
  rebuild?: boolean;
  onLine?: (line: string) => void;
}

/**
 * The Debian root filesystem tarball, built from Debian packages alone (no registry) by
 * images/debian/build-rootfs.sh and kept, so a classroom builds it once and imports it offline.
 */
export async function buildDebianRootfs(opts: RootfsOptions): Promise<string> {
  const script = join(IMAGES_DIR, 'debian', 'build-rootfs.sh');
  return cachedRootfs(`debian-bookworm-${recipeHash([script])}.tar`, [script], opts);
}

/** The WordPress cluster's root filesystem: images/wordpress/build-rootfs.sh over the Debian one (built first if needed). */
export async function buildWordpressRootfs(opts: RootfsOptions): Promise<string> {
  const base = await buildDebianRootfs({ ...(opts.onLine ? { onLine: opts.onLine } : {}) });
  const script = join(IMAGES_DIR, 'wordpress', 'build-rootfs.sh');
  const recipe = recipeHash([join(IMAGES_DIR, 'debian', 'build-rootfs.sh'), script]);
  return cachedRootfs(`wordpress-bookworm-${recipe}.tar`, [script, base], opts);
}

/** Builds (or finds in the cache) an offline image's root filesystem tarball. */
export function buildOfflineRootfs(base: OfflineBase, opts: RootfsOptions): Promise<string> {
  return base === 'wordpress' ? buildWordpressRootfs(opts) : buildDebianRootfs(opts);
}

// The cached tarball is named after its recipes, so a changed recipe is rebuilt, never silently reused.
const recipeHash = (scripts: string[]) => {
  const hash = createHash('sha256');
  for (const script of scripts) hash.update(readFileSync(script));
  return hash.digest('hex').slice(0, 12);
};

/** The tarball `name` in the cache, or made by `recipe` (the script, then its arguments; the output path last). */
async function cachedRootfs(name: string, recipe: string[], opts: RootfsOptions): Promise<string> {
  const out = resolve(opts.out ?? join(imageCacheDir(), name));
  if (existsSync(out) && !opts.rebuild) return out;
  mkdirSync(dirname(out), { recursive: true });
  await runBuildScript(name, [...recipe, out], opts.onLine);
  return out;
}

/** Runs a rootfs recipe, each output line to onLine; a failure carries the output's tail. */
function runBuildScript(name: string, argv: string[], onLine: ((line: string) => void) | undefined): Promise<void> {
  return new Promise<void>((resolvePromise, reject) => {
    const child = spawn('bash', argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const onData = (chunk: Buffer) => {
      tail = (tail + chunk.toString()).slice(-4000);
      for (const line of chunk.toString().split('\n')) if (line.trim()) onLine?.(line);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', (c) => {
      if (c === 0) return resolvePromise();
      const fix = "It needs Debian's apt (apt-get download, dpkg-deb) and package lists: run `sudo apt-get update` and try again.";
      const what = `Building ${name} from Debian packages failed (exit ${c}).`;
      reject(environmentError(what, fix, [tail.trim()]));
    });
  });
}

export async function importRootfs(runtime: DockerRuntime, tar: string, tag: string): Promise<void> {
  if (!existsSync(tar)) throw environmentError(`No image tarball at ${tar}.`, 'Build one with `lab images build --offline`.');
  await runtime.importImage(tar, tag, IMPORT_CHANGES);
}

/** Builds images/<base>/Dockerfile through the Engine API (needs a registry for its FROM image). */
export async function buildFromDockerfile(
  runtime: DockerRuntime,
  base: ImageBase,
  tag: string,
  onLine: (line: string) => void,
): Promise<void> {
  try {
    await runtime.buildImage(join(IMAGES_DIR, base), tag, onLine);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw environmentError(
      `Building ${tag} from images/${base}/Dockerfile failed: ${message.trim()}`,
      /pull|registry|resolve|no such host|TLS|timeout/i.test(message)
        ? base === 'debian'
          ? 'No registry is reachable: build it from Debian packages instead, `lab images build --offline`.'
          : 'No registry is reachable, and centos:7 has no offline recipe: use the Debian image (`lab images build --offline`).'
        : 'See the build output above.',
    );
  }
}
