// Run by `npm run build` after tsc: bundles the CLI into dist/cli/main.js (what `lab` runs) and a few
// chunks. Node resolving and reading ~250 modules one by one is most of a CLI run's start-up, seconds on
// a one-CPU User-Mode Linux guest; one file is read at once. The Docker client and the spinners stay in
// chunks of their own, loaded only by commands that need them (test/cli/lazy-imports.test.ts).
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const chunks = join(root, 'dist/cli/chunks');
rmSync(chunks, { recursive: true, force: true });

// Bundled CommonJS (dockerode, ssh2) calls require() and reads __dirname: give each ES module file its own.
const commonJsGlobals = [
  "import { createRequire as __createRequire } from 'node:module';",
  "import { fileURLToPath as __fileURLToPath } from 'node:url';",
  'const require = __createRequire(import.meta.url);',
  'const __filename = __fileURLToPath(import.meta.url);',
  "const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));",
].join(' ');

const result = await build({
  entryPoints: { main: join(root, 'src/cli/main.ts') },
  outdir: join(root, 'dist/cli'),
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // ssh2's optional native speed-ups: it falls back to JavaScript when they are absent.
  external: ['cpu-features', '*.node'],
  banner: { js: commonJsGlobals },
  minifyWhitespace: true,
  minifySyntax: true,
  metafile: true,
  logLevel: 'warning',
});
// Which input went into which output file: the lazy-imports test reads it.
writeFileSync(join(chunks, 'meta.json'), JSON.stringify(result.metafile));
