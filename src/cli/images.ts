import { Command } from 'commander';
import { z } from 'zod';
import { usageError } from '../errors.js';
import { buildDebianRootfs, DEBIAN_IMAGE, importRootfs } from '../lab/images.js';
import { DockerRuntime } from '../runtime/docker.js';
import { parseOptions } from './options.js';
import { withSpinner } from './progress.js';

const build = new Command('build')
  .description('build the lab image; --offline builds the Debian one from Debian packages alone (no registry)')
  .option('--offline', 'from Debian packages (apt-get download + extract), then import')
  .option('--rebuild', 'rebuild the cached root filesystem tarball')
  .option('--tag <name>', 'image name', DEBIAN_IMAGE)
  .option('--tar-only', 'only build (or find) the cached tarball and print its path; no Docker needed')
  .action(async (raw) => {
    const opts = parseOptions(z.object({ offline: z.boolean().default(false), rebuild: z.boolean().default(false), tag: z.string().min(1), tarOnly: z.boolean().default(false) }), raw);
    if (!opts.offline) {
      throw usageError(
        'Only --offline builds are done by lab itself.',
        'With a registry, use the Dockerfiles: `docker build -t lvs-lab/debian:bookworm images/debian` or `docker build -t lvs-lab/centos7 images/centos7`.',
      );
    }
    if (opts.tarOnly) {
      process.stdout.write(`${await withSpinner('Building the Debian root filesystem from packages', () => buildDebianRootfs({ rebuild: opts.rebuild }))}\n`);
      return;
    }
    const runtime = await DockerRuntime.connect();
    const tar = await withSpinner('Building the Debian root filesystem from packages', () => buildDebianRootfs({ rebuild: opts.rebuild }));
    await withSpinner(`Importing ${tar} as ${opts.tag}`, () => importRootfs(runtime, tar, opts.tag));
    process.stdout.write(`Image ${opts.tag} is ready.\n`);
  });

const importTar = new Command('import')
  .description('import a root filesystem tarball (from `lab images build --offline` or images/debian/build-rootfs.sh) as the lab image')
  .argument('<tar>', 'the tarball')
  .option('--tag <name>', 'image name', DEBIAN_IMAGE)
  .action(async (tar: string, raw) => {
    const opts = parseOptions(z.object({ tag: z.string().min(1) }), raw);
    const runtime = await DockerRuntime.connect();
    await withSpinner(`Importing ${tar} as ${opts.tag}`, () => importRootfs(runtime, tar, opts.tag));
    process.stdout.write(`Image ${opts.tag} is ready.\n`);
  });

export const imagesCommand = new Command('images').description('build and import the lab\'s images').addCommand(build).addCommand(importTar);
