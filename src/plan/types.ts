import type { ContainerSpec, NetworkSpec } from '../runtime/types.js';
import type { Scenario } from '../scenario/schema.js';

export const PHASES = {
  network: 'Create the network',
  containers: 'Start the containers',
  init: 'Wait for systemd to boot',
  ipvsCheck: 'Check that the kernel has IPVS',
  appServices: 'Set up the application\'s services',
  appWeb: 'Set up the real servers\' web stack',
  realServers: 'Configure the real servers',
  director: 'Configure the director',
  clients: 'Configure the clients',
  app: 'Install the application through the VIP',
} as const;
export type Phase = keyof typeof PHASES;

/**
 * Phases whose steps need other nodes' earlier steps done: the NFS export before a real server mounts it,
 * the database before WordPress, the whole cluster before the install through the VIP. Every other phase
 * only needs its own node's earlier steps, so nodes may run through those side by side.
 */
export const CROSS_NODE_PHASES: ReadonlySet<Phase> = new Set<Phase>(['appServices', 'appWeb', 'app']);

interface StepBase {
  phase: Phase;
  /** What a student would type, shown by `--dry-run` and `-v`. */
  command: string;
  /** The tutorial's reason for the step. */
  why: string;
}

export type Step =
  | (StepBase & { kind: 'network'; network: NetworkSpec })
  | (StepBase & { kind: 'container'; node: string; container: ContainerSpec })
  | (StepBase & { kind: 'wait-init'; node: string })
  | (StepBase & {
      kind: 'exec';
      node: string;
      argv: string[];
      /** The kernel check: its failure means a missing kernel module, not a broken lab. */
      kernelCheck?: 'ipvs';
    });

export interface Plan {
  lab: string;
  /** The run that carries it out (labelled on everything it makes); none in a dry run. */
  runId?: string;
  scenario: Scenario;
  steps: Step[];
}
