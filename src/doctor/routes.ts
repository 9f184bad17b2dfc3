import { intToIp, type Cidr } from '../scenario/ipv4.js';

/** A row of /proc/net/route, decoded. */
export interface HostRoute {
  iface: string;
  destination: Cidr;
}

const HEX32 = /^[0-9A-Fa-f]{8}$/;

/** /proc/net/route writes an address as little-endian hex: 0102A8C0 is 192.168.2.1. */
function littleEndianIp(hex: string): string {
  const n = Number.parseInt(hex, 16);
  const bytes = [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
  return intToIp(bytes.reduce((ip, byte) => ip * 256 + byte, 0));
}

/** A mask's prefix length: the number of one bits, 255.255.0.0 is 16. */
const prefixOf = (mask: string) =>
  mask.split('.').reduce((bits, octet) => bits + Number(octet).toString(2).replace(/0/g, '').length, 0);

/** /proc/net/route: the header line, then one route a line; the default route (mask 0) is left out. Pure. */
export function parseProcNetRoute(text: string): HostRoute[] {
  return text
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f.length >= 8 && HEX32.test(f[1]!) && HEX32.test(f[7]!))
    .map((f) => ({
      iface: f[0]!,
      destination: { network: littleEndianIp(f[1]!), prefix: prefixOf(littleEndianIp(f[7]!)) },
    }))
    .filter((r) => r.destination.prefix > 0);
}
