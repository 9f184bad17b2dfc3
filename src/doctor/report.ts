import { wrap } from '../text/wrap.js';
import type { DoctorCheck, DoctorStatus } from './checks.js';

/** `lab doctor`'s output: one table (check | status | detail | fix), then one line of verdict. Pure. */

const STATUS_TEXT: Record<DoctorStatus, string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', skip: 'SKIP' };
const GAP = '  ';
const HEADER = { check: 'check', status: 'status', detail: 'detail', fix: 'fix' };

export interface TableOptions {
  /** Total width to fit the table in (a terminal's columns); default 120. */
  width?: number;
}

export function formatDoctorTable(checks: DoctorCheck[], opts: TableOptions = {}): string {
  const total = Math.max(opts.width ?? 120, 60);
  const checkW = Math.max(HEADER.check.length, ...checks.map((c) => c.title.length));
  const statusW = HEADER.status.length;
  const rest = Math.max(total - checkW - statusW - 3 * GAP.length, 40);
  const detailW = Math.max(Math.floor(rest * 0.5), 20);
  const fixW = Math.max(rest - detailW, 20);
  const row = (cells: [string, string, string[], string[]]) => {
    const [title, status, detail, fix] = cells;
    const height = Math.max(detail.length, fix.length, 1);
    const lines: string[] = [];
    for (let i = 0; i < height; i++) {
      const parts = [
        (i === 0 ? title : '').padEnd(checkW),
        (i === 0 ? status : '').padEnd(statusW),
        (detail[i] ?? '').padEnd(detailW),
        fix[i] ?? '',
      ];
      lines.push(parts.join(GAP).trimEnd());
    }
    return lines;
  };
  const lines = [
    ...row([HEADER.check, HEADER.status, [HEADER.detail], [HEADER.fix]]),
    ...row(['-'.repeat(checkW), '-'.repeat(statusW), ['-'.repeat(detailW)], ['-'.repeat(Math.min(fixW, 40))]]),
  ];
  for (const c of checks) {
    const showFix = (c.status === 'warn' || c.status === 'fail') && c.fix;
    const fix = showFix ? wrap(c.fix!, fixW, { keepCommands: true }) : [];
    lines.push(...row([c.title, STATUS_TEXT[c.status], wrap(c.detail, detailW), fix]));
  }
  return lines.join('\n');
}

/** The line under the table: what the result means for `lab up`. */
export function formatVerdict(checks: DoctorCheck[], scenario: string): string {
  const failed = checks.filter((c) => c.status === 'fail');
  const warned = checks.filter((c) => c.status === 'warn');
  const skipped = checks.filter((c) => c.status === 'skip');
  const also = [
    warned.length ? `${warned.length} warning${warned.length > 1 ? 's' : ''}` : '',
    skipped.length ? `${skipped.length} skipped` : '',
  ].filter(Boolean);
  if (failed.length > 0) {
    const which = `${failed.length} check${failed.length > 1 ? 's' : ''} failed (${failed.map((c) => c.id).join(', ')})`;
    return `${which}${also.length ? `, ${also.join(', ')}` : ''}: \`lab up ${scenario}\` would stop. ` +
      `Apply each fix, then run \`lab doctor ${scenario}\` again.`;
  }
  if (also.length > 0) return `No check failed (${also.join(', ')}): \`lab up ${scenario}\` can go ahead.`;
  return `All ${checks.length} checks passed: \`lab up ${scenario}\` can go ahead.`;
}

export function formatDoctorReport(checks: DoctorCheck[], scenario: string, opts: TableOptions = {}): string {
  return `${formatDoctorTable(checks, opts)}\n\n${formatVerdict(checks, scenario)}`;
}

/** `--json`: `{ ok, scenario, checks: [{ id, title, status, detail, fix }] }`. */
export function doctorJson(checks: DoctorCheck[], scenario: string, seconds?: number) {
  return {
    ok: !checks.some((c) => c.status === 'fail'),
    scenario,
    ...(seconds !== undefined ? { seconds: Number(seconds.toFixed(1)) } : {}),
    checks: checks.map(({ id, title, status, detail, fix }) => ({ id, title, status, detail, fix })),
  };
}
