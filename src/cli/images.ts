import { Command } from 'commander';
import * as z from 'zod';
import { usageError } from '../errors.js';
import { buildLabImage, importLabImage } from '../lab/image-build.js';
import { DEBIAN_IMAGE, IMAGE_BASES, IMAGE_FOR_BASE, OFFLINE_BASES, offlineBaseOf } from '../image-names.js';
import { imageReference } from '../scenario/schema.js';
import { examples } from './help.js';
import { parseOptions } from './options.js';
import { withSpinner } from './progress.js';

const buildOptions = z.object({
  base: z.enum(IMAGE_BASES),
  offline: z.boolean().default(false),
  rebuild: z.boolean().default(false),
  tag: imageReference.optional(),
  tarOnly: z.boolean().default(false),
});

const build = new Command('build')
  .description(
    'build a lab image: from its Dockerfile (needs a registry), ' +
      'or with --offline the Debian ones from Debian packages alone',
  )
  .option('--base <base>', `which image: ${IMAGE_BASES.join(' | ')}`, 'debian')
  .option('--offline', 'from Debian packages (apt-get download + extract), then import; no registry')
  .option('--rebuild', 'rebuild the cached root filesystem tarball')
  .option('--tag <name>', 'image name (default: lvs-lab/debian:bookworm, lvs-lab/wordpress:bookworm or lvs-lab/centos7)')
  .option('--tar-only', 'only build (or find) the cached tarball and print its path; no Docker needed')
  .addHelpText('after', examples(
    ['lab images build --offline', 'lvs-lab/debian:bookworm from Debian packages, no registry'],
    ['lab images build --offline --base wordpress',
      'lvs-lab/wordpress:bookworm (seed 003\'s cluster: nginx, php-fpm, MariaDB, NFS, WordPress)'],
    ['lab images build --base centos7', 'from its Dockerfile, where a registry is reachable'],
  ))
  .action(async (raw) => {
    const opts = parseOptions(buildOptions, raw);
    if (opts.tarOnly && !opts.offline) throw usageError('--tar-only goes with --offline.');
    if (opts.offline && offlineBaseOf(IMAGE_FOR_BASE[opts.base]) === undefined) {
      throw usageError(
        `Only ${OFFLINE_BASES.join(' and ')} can be built offline.`,
        'centos:7 comes from a registry: `lab images build --base centos7` where one is reachable.',
      );
    }
    const built = await buildLabImage(opts, withSpinner, (line) => process.stderr.write(`  ${line}\n`));
    process.stdout.write('tarball' in built ? `${built.tarball}\n` : `Image ${built.image} is ready.\n`);
  });

const importTar = new Command('import')
  .description(
    'import a root filesystem tarball (from `lab images build --offline` or images/debian/build-rootfs.sh) as the lab image',
  )
  .argument('<tar>', 'the tarball')
  .option('--tag <name>', 'image name', DEBIAN_IMAGE)
  .addHelpText('after', examples(['lab images import rootfs.tar', `as ${DEBIAN_IMAGE}`]))
  .action(async (tar: string, raw) => {
    const opts = parseOptions(z.object({ tag: imageReference }), raw);
    await importLabImage(tar, opts.tag, withSpinner);
    process.stdout.write(`Image ${opts.tag} is ready.\n`);
  });

export const imagesCommand = new Command('images')
  .description('build and import the lab\'s images')
  .addHelpText('after', examples(['lab images build --offline', 'the default image, from Debian packages']))
  .addCommand(build)
  .addCommand(importTar);
