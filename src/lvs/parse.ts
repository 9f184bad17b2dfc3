/** Parsers for ipvsadm's human tables, which is what the tutorials show and what a student reads. */

export interface ListedRealServer {
  address: string;
  port: number;
  forward: string;
  weight: number;
  activeConn: number;
  inactConn: number;
}

export interface ListedService {
  protocol: string;
  vip: string;
  port: number;
  scheduler: string;
  flags: string;
  realServers: ListedRealServer[];
}

function splitHostPort(text: string): { address: string; port: number } {
  const i = text.lastIndexOf(':');
  return { address: text.slice(0, i), port: Number(text.slice(i + 1)) };
}

/** `ipvsadm -Ln` */
export function parseList(output: string): ListedService[] {
  const services: ListedService[] = [];
  for (const line of output.split('\n')) {
    const service = /^(TCP|UDP|SCTP|FWM)\s+(\S+)\s+(\S+)\s*(.*)$/.exec(line.trim());
    if (service && !line.startsWith(' ')) {
      const { address, port } = splitHostPort(service[2]!);
      services.push({ protocol: service[1]!, vip: address, port, scheduler: service[3]!, flags: service[4]!.trim(), realServers: [] });
      continue;
    }
    const real = /^->\s+(\d[\d.]*:\d+)\s+(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$/.exec(line.trim());
    if (real && services.length > 0) {
      const { address, port } = splitHostPort(real[1]!);
      services.at(-1)!.realServers.push({
        address,
        port,
        forward: real[2]!,
        weight: Number(real[3]),
        activeConn: Number(real[4]),
        inactConn: Number(real[5]),
      });
    }
  }
  return services;
}

export interface Counters {
  conns: number;
  inPkts: number;
  outPkts: number;
  inBytes: number;
  outBytes: number;
}

export interface StatsEntry extends Counters {
  address: string;
  port: number;
}

export interface ServiceStats extends StatsEntry {
  protocol: string;
  realServers: StatsEntry[];
}

const UNIT: Record<string, number> = { '': 1, K: 1e3, M: 1e6, G: 1e9, T: 1e12 };

/** ipvsadm abbreviates big counters: `12345K`. */
function counter(text: string): number {
  const m = /^(\d+)([KMGT]?)$/.exec(text);
  return m ? Number(m[1]) * UNIT[m[2]!]! : Number.NaN;
}

/** `ipvsadm -Ln --stats` */
export function parseStats(output: string): ServiceStats[] {
  const services: ServiceStats[] = [];
  for (const raw of output.split('\n')) {
    const line = raw.trim();
    const m = /^(?:(TCP|UDP|SCTP|FWM)|->)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)$/.exec(line);
    if (!m) continue;
    const { address, port } = splitHostPort(m[2]!);
    const entry = {
      address,
      port,
      conns: counter(m[3]!),
      inPkts: counter(m[4]!),
      outPkts: counter(m[5]!),
      inBytes: counter(m[6]!),
      outBytes: counter(m[7]!),
    };
    if (Object.values(entry).some((v) => typeof v === 'number' && Number.isNaN(v))) continue;
    if (m[1]) services.push({ protocol: m[1], ...entry, realServers: [] });
    else services.at(-1)?.realServers.push(entry);
  }
  return services;
}

export interface Connection {
  protocol: string;
  expire: string;
  state: string;
  source: { address: string; port: number };
  virtual: { address: string; port: number };
  destination: { address: string; port: number };
}

/** `ipvsadm -Lnc` */
export function parseConnections(output: string): Connection[] {
  const connections: Connection[] = [];
  for (const line of output.split('\n')) {
    const m = /^(TCP|UDP|SCTP)\s+(\S+)\s+(\S+)\s+(\S+:\d+)\s+(\S+:\d+)\s+(\S+:\d+)\s*$/.exec(line.trim());
    if (!m) continue;
    connections.push({
      protocol: m[1]!,
      expire: m[2]!,
      state: m[3]!,
      source: splitHostPort(m[4]!),
      virtual: splitHostPort(m[5]!),
      destination: splitHostPort(m[6]!),
    });
  }
  return connections;
}
