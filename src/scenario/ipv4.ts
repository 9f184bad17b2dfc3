/** Small IPv4 helpers for validating scenario addresses; no dependency needed for this much. */

const OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

export function isIpv4(text: string): boolean {
  const parts = text.split('.');
  return parts.length === 4 && parts.every((p) => OCTET.test(p));
}

export function ipToInt(ip: string): number {
  return ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

export function intToIp(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

export interface Cidr {
  network: string;
  prefix: number;
}

export function parseCidr(text: string): Cidr | undefined {
  const match = /^([\d.]+)\/(\d{1,2})$/.exec(text);
  if (!match || !isIpv4(match[1]!)) return undefined;
  const prefix = Number(match[2]);
  if (prefix < 8 || prefix > 30) return undefined;
  return { network: match[1]!, prefix };
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** The network address Docker stores for a subnet: `172.20.1.0/16` becomes `172.20.0.0/16`. */
export function canonicalCidr(cidr: Cidr): string {
  return `${intToIp((ipToInt(cidr.network) & mask(cidr.prefix)) >>> 0)}/${cidr.prefix}`;
}

export function cidrContains(cidr: Cidr, ip: string): boolean {
  const m = mask(cidr.prefix);
  return ((ipToInt(ip) & m) >>> 0) === ((ipToInt(cidr.network) & m) >>> 0);
}

/** Host addresses only: not the network address, not broadcast. */
export function isUsableHost(cidr: Cidr, ip: string): boolean {
  const m = mask(cidr.prefix);
  const host = (ipToInt(ip) & ~m) >>> 0;
  return host !== 0 && host !== (~m >>> 0);
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  const shorter = Math.min(a.prefix, b.prefix);
  const m = mask(shorter);
  return ((ipToInt(a.network) & m) >>> 0) === ((ipToInt(b.network) & m) >>> 0);
}

/** Docker gives a bridge network's gateway the first host address unless told otherwise. */
export function firstHost(cidr: Cidr): string {
  return intToIp(((ipToInt(cidr.network) & mask(cidr.prefix)) >>> 0) + 1);
}
