import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { VerifyReport } from '../../src/verify/run.js';
import type { RequestResult } from '../../src/verify/types.js';
import { REPO_ROOT } from './cli.js';

/**
 * Report fixtures, each with the scenario it verified: `rr-basic` passing with kept captures, `wrr-failed`
 * whose ratio failed, and `nat` and `tun` as `lab verify --json` printed them on a real UML run.
 */
export const FIXTURES = { 'rr-basic': 'rr-basic', 'wrr-failed': 'wrr', nat: 'nat', tun: 'tun' } as const;

export const fixtureReport = (name: keyof typeof FIXTURES): VerifyReport =>
  JSON.parse(readFileSync(join(REPO_ROOT, 'test/fixtures', `verify-report-${name}.json`), 'utf8')) as VerifyReport;

/** The rr-basic report with some fields replaced: for reporters that read only a few. */
export const reportWith = (fields: Partial<VerifyReport>): VerifyReport =>
  ({ ...fixtureReport('rr-basic'), ...fields });

/** One request per server named, in order, from CLIENT; null is a request that failed (curl exit 7). */
export const requestsFrom = (client: string, ...servers: Array<string | null>): RequestResult[] =>
  servers.map((server, index) => ({ index, client, server, body: server ?? '', curlExit: server ? 0 : 7 }));

/**
 * One TCP packet as `tcpdump -e -n -tt` prints it. FROM and TO are `address.port`; OUTER is an IPIP
 * header's `outer-src > outer-dst: `, printed before the inner packet as tcpdump does.
 */
export const tcpdumpLine = (srcMac: string, dstMac: string, from: string, to: string, flags: string, outer = '') =>
  `1795426736.920128 ${srcMac} > ${dstMac}, ethertype IPv4 (0x0800), length 74: ` +
  `${outer}${from} > ${to}: Flags [${flags}], seq 1, win 64240, length 0`;

export interface ShKernelService {
  vip: string;
  /** In `ipvsadm -a` order. */
  servers: Array<{ name: string; address: string; weight: number }>;
  /** Client address -> the real server the kernel gave it, or 'none'. */
  picks: Record<string, string>;
}

/** test/fixtures/sh-kernel-picks.txt: a real kernel's sh choices, recorded by scripts/sh-kernel-picks.sh. */
export function shKernelPicks(): ShKernelService[] {
  const services: ShKernelService[] = [];
  for (const line of readFileSync(join(REPO_ROOT, 'test/fixtures/sh-kernel-picks.txt'), 'utf8').split('\n')) {
    const [first, ...rest] = line.trim().split(/\s+/);
    if (!first || first.startsWith('#')) continue;
    if (first === 'service') services.push({ vip: rest[0]!, servers: rest.slice(1).map(parseServer), picks: {} });
    else services.at(-1)!.picks[first] = rest[0]!;
  }
  return services;
}

function parseServer(text: string): ShKernelService['servers'][number] {
  const m = /^(\w+)=([\d.]+):(\d+)$/.exec(text);
  if (!m) throw new Error(`sh-kernel-picks.txt: bad server ${text}`);
  return { name: m[1]!, address: m[2]!, weight: Number(m[3]) };
}
