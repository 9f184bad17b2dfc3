import { countedDuring, describeCounts } from '../lvs/counters.js';
import { formatHopTable } from './dr.js';
import type { VerifyReport } from './run.js';

/** How each status reads, in the terminal report and on the page. */
export const MARK = { pass: 'PASS', fail: 'FAIL', 'not-checked': 'NOT CHECKED' } as const;

/** The human report: the sequence, each check's line, and the director's own tables. */
export function formatVerifyReport(report: VerifyReport): string {
  const lines: string[] = [];
  const byClient = new Map<string, VerifyReport['requests']>();
  for (const r of report.requests) byClient.set(r.client, [...(byClient.get(r.client) ?? []), r]);
  const methods = report.forwarding.map((f) => f.toUpperCase()).join('+');
  lines.push(`Lab ${report.lab}: ${methods}, scheduler ${report.scheduler}. Checking ${report.property}.`);
  lines.push(`Requests to ${report.vip}:${report.port}, each a new TCP connection:`);
  lines.push(`  $ ${report.requestCommand}`);
  for (const [client, requests] of byClient) {
    for (const r of requests) {
      const got = r.curlExit === 0 ? JSON.stringify(r.body) : `(curl exit ${r.curlExit})`;
      lines.push(`  ${client} ${String(r.index + 1).padStart(2)}. ${r.server ?? '??'}  ${got}`);
    }
  }
  for (const [client, requests] of byClient) {
    const from = byClient.size > 1 ? ` from ${client}` : '';
    lines.push(`Sequence${from}: ${requests.map((r) => r.server ?? '??').join(' ')}`);
  }
  lines.push('');
  lines.push(`Director: $ ${report.director.stats.command}`);
  lines.push(indent(report.director.stats.output));
  const during = countedDuring(report.director.counters);
  const note = '--stats takes in new counts every 2 s; during these requests IPVS counted';
  if (during) lines.push(`    (${note} ${describeCounts(during)})`);
  lines.push(`Director: $ ${report.director.connections.command}`);
  lines.push(indent(report.director.connections.output));
  if (report.hops) {
    lines.push('');
    lines.push('One connection, hop by hop (as in seed 004):');
    lines.push(formatHopTable(report.hops));
  }
  if (report.captures.length) lines.push('', `Captures kept: ${report.captures.join(', ')}`);
  lines.push('');
  for (const c of report.checks) {
    lines.push(`${MARK[c.status].padEnd(11)} ${c.title}: ${c.summary}`);
    if (c.status === 'fail' && c.diagnosis) lines.push(`${''.padEnd(12)}-> ${c.diagnosis}`);
  }
  const failed = report.checks.filter((c) => c.status === 'fail').length;
  const notChecked = report.checks.filter((c) => c.status === 'not-checked').length;
  const unchecked = notChecked ? ` (${notChecked} not checked)` : '';
  lines.push(
    failed === 0
      ? `verify ${report.lab}: all ${report.checks.length - notChecked} checks passed${unchecked}.`
      : `verify ${report.lab}: ${failed} of ${report.checks.length} checks FAILED.`,
  );
  return lines.join('\n');
}

function indent(text: string): string {
  return text.trimEnd().split('\n').map((l) => `    ${l}`).join('\n');
}
