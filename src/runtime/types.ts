import type { InitMode, PrivilegeProfile } from '../scenario/schema.js';

/**
 * What the adapter makes and what it lists, in lab's words: the planner writes specs, the use cases and
 * doctor read listings, and none of them sees dockerode.
 */

export interface NetworkSpec {
  name: string;
  subnet: string;
  internal: boolean;
  labels: Record<string, string>;
}

export interface ContainerSpec {
  name: string;
  hostname: string;
  image: string;
  init: InitMode;
  privilege: PrivilegeProfile;
  /** In order: the first is eth0. */
  interfaces: Array<{ network: string; address: string }>;
  /** Set at create time; the only way to set them without privileges (/proc/sys is read-only then). */
  sysctls: Record<string, string>;
  labels: Record<string, string>;
}

/** A throwaway container with no network that runs one command to its end (doctor's probes). */
export interface OneShotSpec {
  name: string;
  image: string;
  cmd: string[];
  labels: Record<string, string>;
  privilege: PrivilegeProfile;
  /** Docker's tiny init as PID 1 (reaps what the command leaves). */
  tinyInit: boolean;
}

export type OneShotResult = { exitCode: number; stdout: string; stderr: string } | 'timeout';

/** A container as the engine lists it, lab's or not. */
export interface EngineContainer {
  id: string;
  name: string;
  state: string;
  /** When it was created, in seconds since the epoch. */
  created: number;
  labels: Record<string, string>;
  /** Address per network. */
  addresses: Record<string, string>;
  /** MAC address per network: the packet checks name nodes by the MACs they see. */
  macs: Record<string, string>;
}

/** A network as the engine lists it, lab's or not: every subnet it has. */
export interface EngineNetwork {
  id: string;
  name: string;
  subnets: string[];
  labels: Record<string, string>;
}

/** What `docker info` says that lab reads: the cgroup version ("1" or "2") and driver. */
export interface EngineInfo {
  CgroupVersion?: string;
  CgroupDriver?: string;
}
