import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The installed package (or the checkout): the nearest folder above this code with a package.json.
 * This code sits in src/, in dist/, or in the CLI's bundle (dist/cli/main.js or one of its chunks).
 */
export const PACKAGE_ROOT = packageRootAbove(dirname(fileURLToPath(import.meta.url)));

function packageRootAbove(dir: string): string {
  if (existsSync(resolve(dir, 'package.json'))) return dir;
  const parent = dirname(dir);
  return parent === dir ? dir : packageRootAbove(parent);
}

/** The version in package.json, so a release bumps it in one place. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(resolve(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * A file that ships with lab (in the npm package and the checkout alike), by absolute path: a message that
 * names one works wherever lab is installed, not only from a checkout's root.
 */
export const shipped = (relative: string): string => resolve(PACKAGE_ROOT, relative);

/** Where a kernel has no IPVS (Docker Desktop, WSL2), lab runs inside User-Mode Linux: this script. */
export const UML_LAB_SCRIPT = shipped('scripts/uml-lab.sh');
