import { ipToInt } from '../scenario/ipv4.js';

/**
 * Which real server IPVS's source-hashing scheduler (ip_vs_sh.c) gives a client, computed the kernel's
 * way: 256 buckets, bucket = hash_32(client address, 8) with the golden-ratio multiplier, and buckets
 * dealt to the destinations in list order, `weight` buckets each in turn. The kernel adds each new
 * destination at the head of the list, so the list is the reverse of the `ipvsadm -a` order.
 * test/fixtures/sh-kernel-picks.txt holds a real kernel's picks that this is tested against.
 */
const GOLDEN_RATIO_32 = 0x61c88647;
const TAB_BITS = 8;

export function shBucket(clientIp: string): number {
  return (Math.imul(ipToInt(clientIp) >>> 0, GOLDEN_RATIO_32) >>> 0) >>> (32 - TAB_BITS);
}

/**
 * `servers` in the order they were added with `ipvsadm -a`. A weight-0 server still holds one bucket
 * (ip_vs_sh_reassign moves on after `max(weight, 1)`), and a client hashed there gets no server at all
 * (ip_vs_sh_get: an unavailable destination, no fallback): undefined, as with no server.
 */
export function shServerFor(clientIp: string, servers: Array<{ name: string; weight: number }>): string | undefined {
  const dealt = [...servers].reverse().flatMap((s) => Array<typeof s>(Math.max(s.weight, 1)).fill(s));
  const holder = dealt[shBucket(clientIp) % Math.max(dealt.length, 1)];
  return holder && holder.weight > 0 ? holder.name : undefined;
}
