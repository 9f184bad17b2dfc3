/**
 * The names of lab's own images, written once: the scenario's default, doctor's advice, `lab images` and
 * `lab up` (which builds the offline ones itself) all read them here.
 */

/** Each image is built from images/<base>/. */
export const IMAGE_BASES = ['debian', 'wordpress', 'centos7'] as const;
export type ImageBase = (typeof IMAGE_BASES)[number];
export const IMAGE_FOR_BASE: Record<ImageBase, string> = {
  debian: 'lvs-lab/debian:bookworm',
  // Seed 003's WordPress cluster: the Debian image plus nginx, php-fpm, MariaDB, the NFS server and client, WordPress.
  wordpress: 'lvs-lab/wordpress:bookworm',
  centos7: 'lvs-lab/centos7',
};

/** Every node's image unless the scenario says otherwise; built from Debian packages, no registry needed. */
export const DEBIAN_IMAGE = IMAGE_FOR_BASE.debian;
export const WORDPRESS_IMAGE = IMAGE_FOR_BASE.wordpress;

/** The images lab builds itself from Debian packages, no registry: `lab images build --offline`, or `lab up` when missing. */
export const OFFLINE_BASES = ['debian', 'wordpress'] as const satisfies readonly ImageBase[];
export type OfflineBase = (typeof OFFLINE_BASES)[number];

export const offlineBaseOf = (image: string): OfflineBase | undefined =>
  OFFLINE_BASES.find((base) => IMAGE_FOR_BASE[base] === image);
