import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/cli.js';
import { findInGuestPath, hostPrograms } from '../uml/harness.js';

// The User-Mode Linux guest boots on this machine's root filesystem, so every program it runs must be
// installed here. scripts/host-programs lists them with their Debian packages (setup.sh installs them);
// these tests keep that list complete and true, so a fresh machine is never green only by luck.

// mvdan/sh's parser (a real POSIX/bash parser), to read which commands a script calls.
const { syntax } = createRequire(import.meta.url)('mvdan-sh') as { syntax: ShSyntax };
interface ShNode {
  Args?: Array<{ Parts: Array<{ Value?: string }> }>;
  Name?: { Value: string };
}
interface ShSyntax {
  NewParser(): { Parse(text: string, name: string): unknown };
  Walk(node: unknown, visit: (node: ShNode | null) => boolean): void;
  NodeType(node: unknown): string;
}

/** Builtins of dash and bash, which need no package. */
const SHELL_BUILTINS = new Set(
  '. : [ break cd command continue echo eval exec exit export false getopts hash kill local printf pwd read readonly return set shift test trap true type ulimit umask unset wait'.split(' '),
);
/** The scripts that run in the guest, or boot it: each program they call must be listed. */
const GUEST_SCRIPTS = [
  'scripts/uml-guest-init.sh', 'scripts/uml.sh', 'scripts/uml-cpu.sh', 'scripts/uml-lab.sh', 'scripts/sh-kernel-picks.sh',
];
/** node is the project's own runtime: setup.sh checks its version instead of installing Debian's. */
const RUNTIME = 'node';

/** The programs a script calls by a literal name, less its own functions and the shell's builtins. */
function programsCalled(file: string): string[] {
  const ast = syntax.NewParser().Parse(readFileSync(join(REPO_ROOT, file), 'utf8'), file);
  const called = new Set<string>();
  const functions = new Set<string>();
  syntax.Walk(ast, (node) => {
    if (!node) return true;
    const type = syntax.NodeType(node);
    if (type === 'FuncDecl' && node.Name) functions.add(node.Name.Value);
    const first = node.Args?.[0]?.Parts;
    if (type === 'CallExpr' && first?.length === 1 && syntax.NodeType(first[0]) === 'Lit') called.add(first[0]!.Value!);
    return true;
  });
  return [...called].filter((p) => !functions.has(p) && !SHELL_BUILTINS.has(p) && p !== RUNTIME).sort();
}

describe('scripts/host-programs', () => {
  const listed = new Map(hostPrograms().map((p) => [p.program, p.pkg]));

  it.each(GUEST_SCRIPTS)('lists every program %s calls', (file) => {
    const unlisted = programsCalled(file).filter((p) => !listed.has(p));
    expect(unlisted, `add each to scripts/host-programs with its Debian package (\`dpkg -S $(command -v NAME)\`)`).toEqual([]);
  });

  it('the parser sees the calls (a script read as empty would pass the test above)', () => {
    expect(programsCalled('scripts/uml-guest-init.sh')).toEqual(expect.arrayContaining(['busybox', 'dockerd', 'modprobe', 'curl', 'timeout']));
    expect(programsCalled('scripts/uml.sh')).toEqual(expect.arrayContaining(['mktemp', 'readlink', 'sed']));
  });

  it('every listed program is installed on this machine', () => {
    const missing = [...listed].filter(([program]) => !findInGuestPath(program)).map(([program, pkg]) => `${program} (apt-get install ${pkg})`);
    expect(missing, 'run scripts/setup.sh, which installs them').toEqual([]);
  });
});
