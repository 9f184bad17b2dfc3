import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './cli.js';

export interface LabCopy {
  /** The scenario file written. */
  file: string;
  lab: string;
  network: string;
  subnetOctet: number;
}

/**
 * rr-basic with its own lab name (PREFIX-random), node names, network and subnet 10.OCTET.0.0/16: the same
 * checks, and no clash with the rr-basic another test file brings up meanwhile.
 */
export function copyOfRrBasic(prefix: string, subnetOctet: number): LabCopy {
  const id = randomBytes(3).toString('hex');
  const lab = `${prefix}-${id}`;
  const network = `${prefix}_${id}`;
  const text = readFileSync(join(REPO_ROOT, 'scenarios/rr-basic.yaml'), 'utf8')
    .replace('name: rr-basic', `name: ${lab}`)
    .replace(/name: (lvs|rs1|rs2|client)$/gm, `name: ${lab}-$1`)
    .replace('name: lvs_dr', `name: ${network}`)
    .replaceAll('172.20.', `10.${subnetOctet}.`);
  const file = join(mkdtempSync(join(tmpdir(), `lab-${prefix}-`)), `${lab}.yaml`);
  writeFileSync(file, text);
  return { file, lab, network, subnetOctet };
}
