import { DEBIAN_IMAGE } from '../../src/image-names.js';
import { buildDebianRootfs, importRootfs } from '../../src/lab/images.js';
import type { DockerRuntime } from '../../src/runtime/docker.js';

/** The Debian lab image's root filesystem, built from Debian packages once and cached (no registry here). */
export async function rootfsTar(): Promise<string> {
  return buildDebianRootfs({ onLine: (line) => process.stderr.write(`[image] ${line}\n`) });
}

/** Makes sure the host engine has the lab image, importing the cached tarball through the adapter if not. */
export async function ensureHostImage(runtime: DockerRuntime): Promise<string> {
  if (!(await runtime.imageExists(DEBIAN_IMAGE))) await importRootfs(runtime, await rootfsTar(), DEBIAN_IMAGE);
  return DEBIAN_IMAGE;
}
