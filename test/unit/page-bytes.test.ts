import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildPlan, WEB_ROOT } from '../../src/plan/build.js';
import { validateScenario } from '../../src/scenario/load.js';
import { builtinScenario } from '../helpers/builtin.js';

// Pages that echo, printf formats or a careless quote would change; each must land in the file as written.
const NASTY_PAGES = [
  'tab\\there and a \\n that is not a newline',
  'back\\\\slashes \\ and a trailing one \\',
  'stops here for echo \\c but not for us',
  'octal \\0101 and \\x41',
  '%s %d %% %b %n',
  '-n',
  '-e \\t',
  `it's "quoted" '' twice`,
  "'",
  '$(touch /tmp/lab-injected) `id` $HOME ${PATH} $((1+1))',
  'ünïcödé ✓ 日本語 🙂',
  'two\nlines, and a blank one\n\nthen more',
  '  spaces around  ',
  '; rm -rf / #',
];

const shells = ['/bin/sh', '/bin/dash', '/bin/bash'].filter((s) => existsSync(s));

/** The plan's own step for rs1's page, with the web root swapped for a temporary file. */
function pageScript(page: string, file: string): string {
  const data = JSON.parse(JSON.stringify(builtinScenario('rr-basic')));
  data.nodes.find((n: { name: string }) => n.name === 'rs1').page = page;
  const plan = buildPlan(validateScenario(data, 'test'), 'test');
  const step = plan.steps.find((s) => s.kind === 'exec' && s.node === 'rs1' && s.command.includes(`${WEB_ROOT}/index.html`));
  if (step?.kind !== 'exec') throw new Error('no page step for rs1');
  const [sh, dashC, script] = step.argv;
  expect([sh, dashC, script]).toEqual(['sh', '-c', step.command]); // the dry-run shows exactly what runs
  const target = ` > ${WEB_ROOT}/index.html`;
  expect(script!.endsWith(target)).toBe(true);
  return script!.slice(0, -target.length) + ` > '${file}'`;
}

describe('a page arrives byte for byte', () => {
  it.each(shells.flatMap((shell) => NASTY_PAGES.map((page) => [shell, page] as const)))('%s writes %j as written', (shell, page) => {
    const file = join(mkdtempSync(join(tmpdir(), 'lab-page-')), 'index.html');
    execFileSync(shell, ['-c', pageScript(page, file)], { env: { PATH: process.env.PATH, HOME: '/nonexistent' } });
    expect(readFileSync(file)).toEqual(Buffer.from(`${page}\n`, 'utf8'));
    expect(existsSync('/tmp/lab-injected')).toBe(false);
  });
});
