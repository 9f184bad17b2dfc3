import type { VerifyReport } from './run.js';

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** JUnit XML for CI systems: one testcase per check; "not checked" is a skip, never a pass. */
export function toJUnit(report: VerifyReport): string {
  const failures = report.checks.filter((c) => c.status === 'fail').length;
  const skipped = report.checks.filter((c) => c.status === 'not-checked').length;
  const cases = report.checks.map((c) => {
    const open = `    <testcase classname="lvs-lab.${escape(report.lab)}" name="${escape(`${c.id}: ${c.title}`)}">`;
    const body =
      c.status === 'fail'
        ? `\n      <failure message="${escape(c.summary)}">${escape(c.diagnosis ?? c.summary)}</failure>\n    `
        : c.status === 'not-checked'
          ? `\n      <skipped message="${escape(c.summary)}"/>\n    `
          : `\n      <system-out>${escape(c.summary)}</system-out>\n    `;
    return `${open}${body}</testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="lab verify" tests="${report.checks.length}" failures="${failures}" skipped="${skipped}">`,
    `  <testsuite name="${escape(report.lab)}" tests="${report.checks.length}" failures="${failures}" skipped="${skipped}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
