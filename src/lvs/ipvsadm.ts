import type { Forwarding, Scheduler } from '../scenario/schema.js';

/** ipvsadm command lines, built the way the tutorials type them. */

export interface VirtualService {
  protocol: 'tcp' | 'udp';
  vip: string;
  port: number;
  scheduler: Scheduler;
  persistence?: number | undefined;
}

const FORWARDING_FLAG: Record<Forwarding, string> = { dr: '-g', nat: '-m', tun: '-i' };

function serviceArgs(service: VirtualService): string[] {
  return [service.protocol === 'tcp' ? '-t' : '-u', `${service.vip}:${service.port}`];
}

/** `ipvsadm -A -t 172.20.1.100:80 -s rr` */
export function addService(service: VirtualService): string[] {
  const persistence = service.persistence !== undefined ? ['-p', String(service.persistence)] : [];
  return ['ipvsadm', '-A', ...serviceArgs(service), '-s', service.scheduler, ...persistence];
}

/**
 * `ipvsadm -a -t 172.20.1.100:80 -r 172.20.1.10 -g`. The port is written only when it differs from the
 * VIP's (NAT port mapping), and the weight only when it is not ipvsadm's default of 1.
 */
export function addRealServer(service: VirtualService, real: { address: string; port: number; forwarding: Forwarding; weight: number }): string[] {
  const target = real.port === service.port ? real.address : `${real.address}:${real.port}`;
  const weight = real.weight !== 1 ? ['-w', String(real.weight)] : [];
  return ['ipvsadm', '-a', ...serviceArgs(service), '-r', target, FORWARDING_FLAG[real.forwarding], ...weight];
}

/** `ipvsadm -d -t VIP:80 -r RS`: what `lvs-rs.sh stop` undoes on the director (seed 003). */
export function deleteRealServer(service: VirtualService, real: { address: string; port: number }): string[] {
  const target = real.port === service.port ? real.address : `${real.address}:${real.port}`;
  return ['ipvsadm', '-d', ...serviceArgs(service), '-r', target];
}

export const LIST = ['ipvsadm', '-Ln'];
export const LIST_STATS = ['ipvsadm', '-Ln', '--stats'];
export const LIST_CONNECTIONS = ['ipvsadm', '-Lnc'];
/** Seed 004's lvs_dr.sh first line of rules: clear the whole table. */
export const CLEAR = ['ipvsadm', '-C'];

/** What a kernel without IPVS makes ipvsadm say, in a container or on a host. */
export const NO_IPVS_PATTERN = /Protocol not available|Can't initialize ipvs|modprobe: (FATAL|ERROR)/i;
