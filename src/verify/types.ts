export type CheckStatus = 'pass' | 'fail' | 'not-checked';

/** One line of the verdict: what was checked, what was seen, and if it failed, the likely cause and the fix. */
export interface CheckResult {
  id: string;
  title: string;
  status: CheckStatus;
  summary: string;
  diagnosis?: string | undefined;
}

export interface RequestResult {
  index: number;
  /** The client node that sent it. */
  client: string;
  /** The real server whose page came back, or null when the request failed or the page is unknown. */
  server: string | null;
  body: string;
  curlExit: number;
}

/** The requests sent to show the scheduler's property, and the checks judging them. */
export interface Traffic {
  command: string;
  requests: RequestResult[];
  /** The scheduler's (and, for keepalived, the failover's) checks; the last one names the property. */
  checks: CheckResult[];
}
