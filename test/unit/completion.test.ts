import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { completionScript, SHELLS, type CompletionNode } from '../../src/completion/scripts.js';
import { findInGuestPath } from '../uml/harness.js';

const tree: CompletionNode = {
  name: 'lab',
  description: 'the lab',
  options: [{ flags: ['--version', '-V'], description: "it's: the version" }],
  values: [],
  subcommands: [
    { name: 'up', description: 'bring it up', options: [{ flags: ['--dry-run'], description: 'print the plan' }], values: ['rr-basic', 'nat'], subcommands: [] },
    {
      name: 'rs',
      description: 'real servers',
      options: [],
      values: [],
      subcommands: [{ name: 'stop', description: "take it out: `ipvsadm -d`", options: [{ flags: ['--json'], description: 'JSON' }], values: [], subcommands: [] }],
    },
  ],
};

/** Each shell is in scripts/host-programs, so setup.sh installs it: a missing one fails, never skips. */
const requireShell = (shell: string) => {
  if (!findInGuestPath(shell)) throw new Error(`${shell} is not installed: run scripts/setup.sh (scripts/host-programs lists it)`);
};

describe('completion scripts', () => {
  it.each(SHELLS)('%s: the script parses in that shell', (shell) => {
    requireShell(shell);
    const file = join(mkdtempSync(join(tmpdir(), 'lab-completion-')), `lab.${shell}`);
    writeFileSync(file, completionScript(shell, tree));
    execFileSync(shell, shell === 'fish' ? ['--no-execute', file] : ['-n', file]);
  });

  it('fish: completes lab rs stop\'s options only after `rs stop`, with descriptions', () => {
    requireShell('fish');
    const script = completionScript('fish', tree);
    const offered = (line: string) =>
      execFileSync('fish', ['--no-config', '-c', `${script}\ncomplete -C ${JSON.stringify(line)}`], { encoding: 'utf8' }).split('\n').filter(Boolean);
    expect(offered('lab ')).toEqual(expect.arrayContaining(['up\tbring it up', 'rs\treal servers']));
    expect(offered('lab rs stop --')).toEqual(['--json\tJSON']);
    expect(offered('lab up rr-')).toEqual(['rr-basic']);
  });
});
