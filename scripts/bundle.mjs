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

// zod's message languages sit in one namespace object (`z.locales`), which a bundler cannot trim: all 64 of
// them (~300 KB, a third of main.js) would be read at every start. lab speaks English, which zod registers
// itself from locales/en.js: the namespace keeps English only.
const englishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      args.importer.includes('/node_modules/zod/') ? { path: args.importer, namespace: 'zod-locales' } : undefined);
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) =>
      ({ contents: "export { default as en } from '../locales/en.js';", resolveDir: dirname(args.path) }));
  },
};

// Modules of the Docker client that lab never runs, read at every engine command, are stubs: dockerode's
// BuildKit session (gRPC and protobufjs, ~450 KB), opened only by a `buildImage` with `version: '2'` (lab's
// builds use the classic builder); its BuildKit progress decoder (protobufjs, ~130 KB), used only by
// `docker.followProgress` (lab follows with `docker.modem.followProgress`); docker-modem's ssh agent (ssh2),
// used only with `protocol: 'ssh'` (lab reaches ssh:// engines over one login of its own,
// runtime/ssh-agent.ts, which loads ssh2 when needed).
const UNUSED = [
  { importer: '/node_modules/dockerode/', path: './session' },
  { importer: '/node_modules/dockerode/', path: './buildkit' },
  { importer: '/node_modules/docker-modem/', path: './ssh' },
];
const withoutUnused = {
  name: 'without-unused-docker-client-modules',
  setup(b) {
    const unused = (args) => UNUSED.some((u) => args.importer.includes(u.importer) && args.path === u.path);
    // Only UNUSED's paths (each `./name`) reach the check: the filter is made from them.
    const paths = new RegExp(`^\\./(${UNUSED.map((u) => u.path.slice(2)).join('|')})$`);
    b.onResolve({ filter: paths }, (args) =>
      (unused(args) ? { path: args.path, namespace: 'unused' } : undefined));
    const stub = (name) => `module.exports = () => { throw new Error('lab bundles no Docker client ${name} module'); };`;
    b.onLoad({ filter: /.*/, namespace: 'unused' }, (args) => ({ contents: stub(args.path.slice(2)), loader: 'js' }));
  },
};

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
  plugins: [englishOnly, withoutUnused],
  logLevel: 'warning',
});
// Which input went into which output file: the lazy-imports test reads it.
writeFileSync(join(chunks, 'meta.json'), JSON.stringify(result.metafile));
