import type { Hop } from './dr.js';
import type { DirectorTables } from './evidence.js';
import type { CheckResult, RequestResult, Traffic } from './types.js';

/** The report `lab verify --json` prints; its shape is documented in docs/verify-json.md. */
export interface VerifyReport {
  schema: 'lvs-lab/verify@1';
  lab: string;
  vip: string;
  port: number;
  scheduler: string;
  forwarding: string[];
  /** The property the scheduling check proved, in words. */
  property: string;
  client: string;
  requestCommand: string;
  requests: RequestResult[];
  checks: CheckResult[];
  hops: Hop[] | null;
  director: DirectorTables;
  captures: string[];
  /** Wall time of the whole verification (requests, captures, tables), which all its checks share. */
  seconds: number;
  ok: boolean;
}

/** What a verification found: the parts the report is made of. */
export interface Findings {
  lab: string;
  vip: string;
  port: number;
  scheduler: string;
  forwarding: string[];
  client: string;
  traffic: Traffic;
  /** The forwarding method's checks, in the order they are shown. */
  methodChecks: CheckResult[];
  /** The application's checks (seed 003's WordPress cluster), after the scheduler's; none for static pages. */
  appChecks: CheckResult[];
  hops: Hop[] | undefined;
  tables: DirectorTables;
  captures: string[];
  seconds: number;
}

/** The method's checks, then the scheduler's, then the application's; the verdict is a pass when none failed. */
export function assembleReport(f: Findings): VerifyReport {
  const checks = [...f.methodChecks, ...followingArp(f.methodChecks, f.traffic.checks), ...f.appChecks];
  return {
    schema: 'lvs-lab/verify@1',
    lab: f.lab,
    vip: f.vip,
    port: f.port,
    scheduler: f.scheduler,
    forwarding: f.forwarding,
    property: f.traffic.checks.at(-1)!.title,
    client: f.client,
    requestCommand: f.traffic.command,
    requests: f.traffic.requests,
    checks,
    hops: f.hops ?? null,
    director: f.tables,
    captures: f.captures,
    seconds: Number(f.seconds.toFixed(3)),
    ok: checks.every((c) => c.status !== 'fail'),
  };
}

const ARP_FIRST = 'Fix the ARP check first: clients that reach a real server directly are never scheduled.';

/** With the ARP check failed, every later symptom follows from it: say so where the symptom is shown. */
function followingArp(methodChecks: CheckResult[], schedulerChecks: CheckResult[]): CheckResult[] {
  const arpFailed = methodChecks.some((c) => c.id === 'arp' && c.status === 'fail');
  return schedulerChecks.map((c) => (arpFailed && c.status === 'fail' ? { ...c, diagnosis: ARP_FIRST } : c));
}
