import { Command } from 'commander';
import { z } from 'zod';
import { usageError } from '../errors.js';
import { buildFromDockerfile, buildOfflineRootfs, DEBIAN_IMAGE, IMAGE_BASES, IMAGE_FOR_BASE, importRootfs, OFFLINE_BASES, offlineBaseOf } from '../lab/images.js';
import { DockerRuntime } from '../runtime/docker.js';
import { imageReference } from '../scenario/schema.js';
import { examples } from './help.js';
import { parseOptions } from './options.js';
import { withSpinner } from './progress.js';

const build = new Command('build')
  .description('build a lab image: from its Dockerfile (needs a registry), or with --offline the Debian ones from Debian packages alone')
  .option('--base <base>', `which image: ${IMAGE_BASES.join(' | ')}`, 'debian')
  .option('--offline', 'from Debian packages (apt-get download + extract), then import; no registry')
  .option('--rebuild', 'rebuild the cached root filesystem tarball')
  .option('--tag <name>', 'image name (default: lvs-lab/debian:bookworm, lvs-lab/wordpress:bookworm or lvs-lab/centos7)')
  .option('--tar-only', 'only build (or find) the cached tarball and print its path; no Docker needed')
  .addHelpText('after', examples(
    ['lab images build --offline', 'lvs-lab/debian:bookworm from Debian packages, no registry'],
    ['lab images build --offline --base wordpress', 'lvs-lab/wordpress:bookworm (seed 003\'s cluster: nginx, php-fpm, MariaDB, NFS, WordPress)'],
    ['lab images build --base centos7', 'from its Dockerfile, where a registry is reachable'],
  ))
  .action(async (raw) => {
    const opts = parseOptions(
      z.object({ base: z.enum(IMAGE_BASES), offline: z.boolean().default(false), rebuild: z.boolean().default(false), tag: imageReference.optional(), tarOnly: z.boolean().default(false) }),
      raw,
    );
    const tag = opts.tag ?? IMAGE_FOR_BASE[opts.base];
    if (!opts.offline) {
      if (opts.tarOnly) throw usageError('--tar-only goes with --offline.');
      const runtime = await DockerRuntime.connect();
      await buildFromDockerfile(runtime, opts.base, tag, (line) => process.stderr.write(`  ${line}\n`));
      process.stdout.write(`Image ${tag} is ready.\n`);
      return;
    }
    const base = offlineBaseOf(IMAGE_FOR_BASE[opts.base]);
    if (!base) {
      throw usageError(`Only ${OFFLINE_BASES.join(' and ')} can be built offline.`, 'centos:7 comes from a registry: `lab images build --base centos7` where one is reachable.');
    }
    const buildTar = () => withSpinner(`Building the ${base} root filesystem from packages`, () => buildOfflineRootfs(base, { rebuild: opts.rebuild }));
    if (opts.tarOnly) {
      process.stdout.write(`${await buildTar()}\n`);
      return;
    }
    const runtime = await DockerRuntime.connect();
    const tar = await buildTar();
    await withSpinner(`Importing ${tar} as ${tag}`, () => importRootfs(runtime, tar, tag));
    process.stdout.write(`Image ${tag} is ready.\n`);
  });

const importTar = new Command('import')
  .description('import a root filesystem tarball (from `lab images build --offline` or images/debian/build-rootfs.sh) as the lab image')
  .argument('<tar>', 'the tarball')
  .option('--tag <name>', 'image name', DEBIAN_IMAGE)
  .addHelpText('after', examples(['lab images import rootfs.tar', `as ${DEBIAN_IMAGE}`]))
  .action(async (tar: string, raw) => {
    const opts = parseOptions(z.object({ tag: imageReference }), raw);
    const runtime = await DockerRuntime.connect();
    await withSpinner(`Importing ${tar} as ${opts.tag}`, () => importRootfs(runtime, tar, opts.tag));
    process.stdout.write(`Image ${opts.tag} is ready.\n`);
  });

export const imagesCommand = new Command('images')
  .description('build and import the lab\'s images')
  .addHelpText('after', examples(['lab images build --offline', 'the default image, from Debian packages']))
  .addCommand(build)
  .addCommand(importTar);
