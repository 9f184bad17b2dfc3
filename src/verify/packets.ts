/** Parsers for what the packet tools print: arping, tcpdump -e -n -tt, netstat -nat. */

/** MACs that answered `arping VIP`, lower-case, in order, each once. */
export function parseArpingReplies(output: string): string[] {
  const macs = [...output.matchAll(/reply from \S+ \[([0-9A-Fa-f:]{17})\]/g)].map((m) => m[1]!.toLowerCase());
  return [...new Set(macs)];
}

export interface Packet {
  time: number;
  srcMac: string;
  dstMac: string;
  srcIp: string;
  srcPort: number;
  dstIp: string;
  dstPort: number;
  /** tcpdump's flags: S = SYN, S. = SYN-ACK, P. = push-ack, F. = FIN, R = reset. */
  flags: string;
  /** IPIP: the outer header, when the TCP packet travels inside a tunnel. */
  outer?: { srcIp: string; dstIp: string };
}

const MAC = '([0-9a-f]{2}(?::[0-9a-f]{2}){5})';
const IP = '(\\d+\\.\\d+\\.\\d+\\.\\d+)';
const LINE = new RegExp(`^(\\d+\\.\\d+) ${MAC} > ${MAC}, ethertype IPv4 \\(0x0800\\), length \\d+: (?:${IP} > ${IP}: )?${IP}\\.(\\d+) > ${IP}\\.(\\d+): Flags \\[([^\\]]+)\\]`);

/** One TCP packet per line of `tcpdump -e -n -tt` (IPIP-wrapped ones keep their outer addresses). */
export function parseTcpdump(output: string): Packet[] {
  const packets: Packet[] = [];
  for (const line of output.split('\n')) {
    const m = LINE.exec(line.trim());
    if (!m) continue;
    packets.push({
      time: Number(m[1]),
      srcMac: m[2]!,
      dstMac: m[3]!,
      ...(m[4] ? { outer: { srcIp: m[4], dstIp: m[5]! } } : {}),
      srcIp: m[6]!,
      srcPort: Number(m[7]),
      dstIp: m[8]!,
      dstPort: Number(m[9]),
      flags: m[10]!,
    });
  }
  return packets;
}

/** TCP sockets in `netstat -nat` whose local or foreign address is ADDRESS:PORT. */
export function tcpSocketsOn(netstatOutput: string, address: string, port: number): string[] {
  const endpoint = `${address}:${port}`;
  return netstatOutput.split('\n').filter((l) => /^tcp/.test(l) && l.split(/\s+/).some((f) => f === endpoint));
}
