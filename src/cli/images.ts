import { Command } from 'commander';
import { z } from 'zod';
import { usageError } from '../errors.js';
import { DEBIAN_IMAGE, IMAGE_BASES, IMAGE_FOR_BASE } from '../image-names.js';
import { buildDebianRootfs, buildFromDockerfile, importRootfs } from '../lab/images.js';
import { DockerRuntime } from '../runtime/docker.js';
import { imageReference } from '../scenario/schema.js';
import { examples } from './help.js';
import { parseOptions } from './options.js';
import { withSpinner } from './progress.js';

const build = new Command('build')
  .description('build a lab image: from its Dockerfile (needs a registry), or with --offline the Debian one from Debian packages alone')
  .option('--base <base>', `which image: ${IMAGE_BASES.join(' | ')}`, 'debian')
  .option('--offline', 'from Debian packages (apt-get download + extract), then import; no registry')
  .option('--rebuild', 'rebuild the cached root filesystem tarball')
  .option('--tag <name>', `image name (default: ${IMAGE_FOR_BASE.debian} or ${IMAGE_FOR_BASE.centos7})`)
  .option('--tar-only', 'only build (or find) the cached tarball and print its path; no Docker needed')
  .addHelpText('after', examples(
    ['lab images build --offline', `${DEBIAN_IMAGE} from Debian packages, no registry`],
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
    if (opts.base !== 'debian') {
      throw usageError('Only the Debian image can be built offline.', 'centos:7 comes from a registry: `lab images build --base centos7` where one is reachable.');
    }
    if (opts.tarOnly) {
      process.stdout.write(`${await withSpinner('Building the Debian root filesystem from packages', () => buildDebianRootfs({ rebuild: opts.rebuild }))}\n`);
      return;
    }
    const runtime = await DockerRuntime.connect();
    const tar = await withSpinner('Building the Debian root filesystem from packages', () => buildDebianRootfs({ rebuild: opts.rebuild }));
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
