import type { CheckResult, RequestResult } from './types.js';

export interface FailoverEvidence {
  /** The real server whose web server was stopped and started again. */
  server: string;
  checkInterval: number;
  /** Seconds from the stop until keepalived took it out of the table (undefined: it never did). */
  removedAfter: number | undefined;
  /** Requests sent while it was out. */
  during: RequestResult[];
  /** Seconds from the start until it was back in the table (undefined: never). */
  restoredAfter: number | undefined;
  /** Requests sent once it was back. */
  after: RequestResult[];
}

/** keepalived: a failing health check removes the server, new connections go elsewhere, recovery adds it back. */
export function checkFailover(e: FailoverEvidence): CheckResult {
  const title = `Failover (keepalived HTTP check every ${e.checkInterval} s): ` +
    `${e.server} out while its web server is down, back after`;
  const fail = (summary: string, diagnosis: string): CheckResult =>
    ({ id: 'failover', title, status: 'fail', summary, diagnosis });
  const fmt = (s: number | undefined) => (s === undefined ? 'never' : `${s.toFixed(1)} s`);
  const times = `removed ${fmt(e.removedAfter)} after the stop, back ${fmt(e.restoredAfter)} after the start`;
  if (e.removedAfter === undefined) {
    return fail(`${e.server} stayed in the director's table with its web server down.`,
      'keepalived is not checking it: `lab exec lvs -- systemctl status keepalived` ' +
      'and /etc/keepalived/keepalived.conf (HTTP_GET on each real_server).');
  }
  const leaked = e.during.filter((r) => r.server === e.server || r.server === null);
  if (leaked.length > 0) {
    const what = `${leaked.length} of ${e.during.length} connections during the outage failed or reached ${e.server}`;
    return fail(`${times}; but ${what}.`,
      'The table still sends new connections to the failed server: check `ipvsadm -Ln` while it is down.');
  }
  if (e.restoredAfter === undefined) {
    return fail(`${times}.`,
      `keepalived did not add ${e.server} back once its web server answered: check the HTTP_GET status_code and path.`);
  }
  if (!e.after.some((r) => r.server === e.server)) {
    return fail(`${times}; but no connection reached it afterwards (${e.after.map((r) => r.server ?? '??').join(' ')}).`,
      'It is in the table but gets no traffic: check its weight in `ipvsadm -Ln`.');
  }
  const during = [...new Set(e.during.map((r) => r.server))].join(', ');
  const afterwards = e.after.map((r) => r.server).join(' ');
  const summary = `${times}; during the outage all ${e.during.length} connections went to ${during}; ` +
    `afterwards: ${afterwards}.`;
  return { id: 'failover', title, status: 'pass', summary };
}
