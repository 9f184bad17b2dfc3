import { ipToInt } from '../scenario/ipv4.js';

/**
 * Which real server IPVS's source-hashing scheduler (ip_vs_sh.c) gives a client, computed the kernel's
 * way: 256 buckets, bucket = hash_32(client address, 8) with the golden-ratio multiplier, and buckets
 * dealt to the destinations in list order, `weight` buckets each in turn. The kernel adds each new
 * destination at the head of the list, so the list is the reverse of the `ipvsadm -a` order.
 */
const GOLDEN_RATIO_32 = 0x61c88647;
const TAB_BITS = 8;

export function shBucket(clientIp: string): number {
  return (Math.imul(ipToInt(clientIp) >>> 0, GOLDEN_RATIO_32) >>> 0) >>> (32 - TAB_BITS);
}

/** `servers` in the order they were added with `ipvsadm -a`; weight-0 servers get no bucket. */
export function shServerFor(clientIp: string, servers: Array<{ name: string; weight: number }>): string | undefined {
  const dealt = [...servers].reverse().filter((s) => s.weight > 0).flatMap((s) => Array<string>(s.weight).fill(s.name));
  return dealt.length ? dealt[shBucket(clientIp) % dealt.length] : undefined;
}
