/**
 * IPVS's own counters for the whole network namespace, one row per CPU, as the kernel keeps them at this moment.
 * `ipvsadm -Ln --stats` shows them only once the rate estimator has folded them in, every 2 s; its last
 * fold is the file's `~` row.
 */
export const READ_COUNTERS = ['cat', '/proc/net/ip_vs_stats_percpu'];

export interface IpvsCounters {
  conns: number;
  inPkts: number;
  outPkts: number;
  inBytes: number;
  outBytes: number;
}

const HEX = '([0-9A-Fa-f]+)';
const CPU_ROW = new RegExp(`^\\s*${HEX}${`\\s+${HEX}`.repeat(5)}\\s*$`);

/** The CPU rows (a CPU number, then five hex counters) summed; undefined when the text has none. */
export function parseCounters(text: string): IpvsCounters | undefined {
  const rows = text.split('\n').flatMap((line) => {
    const m = CPU_ROW.exec(line);
    return m ? [m.slice(2).map((v) => parseInt(v, 16))] : [];
  });
  if (rows.length === 0) return undefined;
  const sum = (i: number) => rows.reduce((n, row) => n + row[i]!, 0);
  return { conns: sum(0), inPkts: sum(1), outPkts: sum(2), inBytes: sum(3), outBytes: sum(4) };
}

/** What IPVS counted between two readings; undefined when either is missing. */
export function countedDuring({ before, after }: { before?: IpvsCounters | undefined; after?: IpvsCounters | undefined }):
  IpvsCounters | undefined {
  if (!before || !after) return undefined;
  return {
    conns: after.conns - before.conns,
    inPkts: after.inPkts - before.inPkts,
    outPkts: after.outPkts - before.outPkts,
    inBytes: after.inBytes - before.inBytes,
    outBytes: after.outBytes - before.outBytes,
  };
}

/** The counts a student reads in `ipvsadm --stats`, as one phrase. */
export const describeCounts = (c: IpvsCounters) => `Conns ${c.conns}, InPkts ${c.inPkts}, OutPkts ${c.outPkts}`;

/**
 * A shell loop that returns once IPVS has folded the CPU rows into its totals (the `~` row equals their sum), or
 * after LIMIT_MS: what `--stats` shows includes every connection counted before it.
 */
export function awaitFold(limitMs: number, pollMs = 250): string {
  // Hex by hand: mawk and busybox awk read "0x.." as 0.
  const hex = 'function hex(s, n, i) { for (i = 1; i <= length(s); i++) ' +
    'n = n * 16 + index("0123456789ABCDEF", toupper(substr(s, i, 1))) - 1; return n }';
  const folded = `awk '${hex} $1 == "~" { f = hex($2) } $1 ~ /^[0-9A-Fa-f]+$/ && NF == 6 { s += hex($2) } ` +
    `END { exit !(f != "" && f == s) }' ${READ_COUNTERS[1]}`;
  return `for i in $(seq ${Math.ceil(limitMs / pollMs)}); do ${folded} 2>/dev/null && break; sleep ${pollMs / 1000}; done`;
}
