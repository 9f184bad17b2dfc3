import { DockerRuntime } from '../runtime/docker.js';
import { quietly, type ShowTask } from './events.js';
import { IMAGE_FOR_BASE, offlineBaseOf, type ImageBase } from '../image-names.js';
import { buildFromDockerfile, buildOfflineRootfs, importRootfs } from './images.js';

/** What `lab images build` is asked for (its options, checked). */
export interface ImageBuildRequest {
  base: ImageBase;
  /** From Debian packages, no registry (the Debian and WordPress images only). */
  offline: boolean;
  /** Rebuild the cached root filesystem tarball. */
  rebuild: boolean;
  /** The image's name; by default the base's. */
  tag?: string | undefined;
  /** Offline: only build (or find) the tarball; no engine needed. */
  tarOnly: boolean;
}

export type ImageBuilt = { image: string } | { tarball: string };

/**
 * `lab images build`: from the base's Dockerfile (its output lines to `onLine`), or offline from Debian
 * packages, then imported (each long part shown through `show`); the image made, or only the tarball.
 */
export async function buildLabImage(
  request: ImageBuildRequest,
  show: ShowTask = quietly,
  onLine: (line: string) => void = () => undefined,
): Promise<ImageBuilt> {
  const tag = request.tag ?? IMAGE_FOR_BASE[request.base];
  const base = offlineBaseOf(IMAGE_FOR_BASE[request.base]) ?? 'debian';
  const rootfs = () => show(`Building the ${base} root filesystem from packages`,
    () => buildOfflineRootfs(base, { rebuild: request.rebuild }));
  if (request.offline && request.tarOnly) return { tarball: await rootfs() };
  const runtime = await DockerRuntime.connect();
  if (!request.offline) await buildFromDockerfile(runtime, request.base, tag, onLine);
  else await importAs(runtime, await rootfs(), tag, show);
  return { image: tag };
}

/** `lab images import TAR`: a root filesystem tarball imported as the image `tag`. */
export async function importLabImage(tar: string, tag: string, show: ShowTask = quietly): Promise<void> {
  await importAs(await DockerRuntime.connect(), tar, tag, show);
}

const importAs = (runtime: DockerRuntime, tar: string, tag: string, show: ShowTask) =>
  show(`Importing ${tar} as ${tag}`, () => importRootfs(runtime, tar, tag));
