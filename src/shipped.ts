import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Files that ship with lab (in the npm package and the checkout alike), by absolute path: a message that
 * names one works wherever lab is installed, not only from a checkout's root.
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export const shipped = (relative: string): string => join(ROOT, relative);

/** Where a kernel has no IPVS (Docker Desktop, WSL2), lab runs inside User-Mode Linux: this script. */
export const UML_LAB_SCRIPT = shipped('scripts/uml-lab.sh');
