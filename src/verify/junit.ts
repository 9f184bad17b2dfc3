import { stripVTControlCharacters } from 'node:util';
import { escapeXml } from '../graph/svg.js';
import type { VerifyReport } from './run.js';

// Characters XML 1.0 does not allow at all, even escaped: C0 controls but tab, LF, CR; U+FFFE, U+FFFF; lone surrogates.
const NOT_XML = new RegExp(
  [
    '[\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\uFFFE\\uFFFF]',
    '[\\uD800-\\uDBFF](?![\\uDC00-\\uDFFF])',
    '(?<![\\uD800-\\uDBFF])[\\uDC00-\\uDFFF]',
  ].join('|'),
  'g',
);

/** Text as XML character data: terminal colours and other escapes removed (a check's output may carry them), then escaped. */
const escape = (s: string) => escapeXml(stripVTControlCharacters(s).replace(NOT_XML, ''));

/**
 * JUnit XML for CI systems: one testcase per check; "not checked" is a skip, never a pass. `time` is in seconds:
 * the suite's is the verification's; the checks judge evidence gathered once for all of them, so theirs is 0.
 */
export function toJUnit(report: VerifyReport): string {
  const failures = report.checks.filter((c) => c.status === 'fail').length;
  const skipped = report.checks.filter((c) => c.status === 'not-checked').length;
  const time = report.seconds.toFixed(3);
  const cases = report.checks.map((c) => {
    const open = `    <testcase classname="lvs-lab.${escape(report.lab)}" name="${escape(`${c.id}: ${c.title}`)}" time="0">`;
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
    `<testsuites name="lab verify" tests="${report.checks.length}" failures="${failures}" skipped="${skipped}" time="${time}">`,
    `  <testsuite name="${escape(report.lab)}" tests="${report.checks.length}" ` +
      `failures="${failures}" skipped="${skipped}" time="${time}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
