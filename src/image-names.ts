/**
 * The names of lab's own images, written once: the scenario's default, doctor's advice, `lab images` and
 * `lab up` (which builds the default one itself) all read them here.
 */

/** Each image is built from images/<base>/. */
export const IMAGE_BASES = ['debian', 'centos7'] as const;
export type ImageBase = (typeof IMAGE_BASES)[number];
export const IMAGE_FOR_BASE: Record<ImageBase, string> = {
  debian: 'lvs-lab/debian:bookworm',
  centos7: 'lvs-lab/centos7',
};

/** Every node's image unless the scenario says otherwise; built from Debian packages, no registry needed. */
export const DEBIAN_IMAGE = IMAGE_FOR_BASE.debian;
