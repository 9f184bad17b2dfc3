import { randomBytes } from 'node:crypto';
import { scenarioNameOf } from './scenario/instance.js';
import type { Scenario } from './scenario/schema.js';

/**
 * Everything `lab` creates carries these labels; teardown, status and verify find a lab from them alone,
 * so nothing without them is ever touched.
 */
export const LABEL = {
  lab: 'io.lvs-lab.lab',
  scenario: 'io.lvs-lab.scenario',
  source: 'io.lvs-lab.source',
  node: 'io.lvs-lab.node',
  role: 'io.lvs-lab.role',
  /** The validated scenario as JSON, so verify works without the file that made the lab. */
  scenarioJson: 'io.lvs-lab.scenario-json',
  /**
   * The `lab up` that made the object (doctor probes included): a failed or interrupted run removes by it
   * exactly what it made, never what another run of the same lab made meanwhile.
   */
  run: 'io.lvs-lab.run',
} as const;

/** Every throwaway container doctor makes carries this label (never the lab's labels: teardown ignores it). */
export const PROBE_LABEL = 'io.lvs-lab.doctor-probe';

/** Selects objects by a label: `{ key }` carries it, `{ key, value }` with that value. Several: all of them. */
export interface LabelFilter {
  key: string;
  value?: string;
}

/** A fresh run id: random, so two runs of one lab never share it. */
export const newRunId = (): string => randomBytes(6).toString('hex');

/**
 * What marks an object as lab-made: every label labLabels sets, all together. A look-alike carrying one of
 * them (a hand-made container with only io.lvs-lab.node=rs1, or only io.lvs-lab.lab=x) is never acted on;
 * labs made by earlier versions of lab carry them all, so they stay lab's.
 */
const LAB_MADE_KEYS = [LABEL.lab, LABEL.scenario, LABEL.source, LABEL.scenarioJson];

/** Selects lab-made objects, narrowed by the given labels (one lab's, one node's). */
export function labMade(...narrower: LabelFilter[]): LabelFilter[] {
  return [...LAB_MADE_KEYS.map((key) => ({ key })), ...narrower];
}

export function isLabMade(labels: Record<string, string>): boolean {
  return LAB_MADE_KEYS.every((key) => key in labels);
}

/** Does an object with these labels belong to this lab, made by lab? */
export function isLabMadeFor(labels: Record<string, string>, lab: string): boolean {
  return isLabMade(labels) && labels[LABEL.lab] === lab;
}

export function labLabels(scenario: Scenario, source: string, runId?: string): Record<string, string> {
  return {
    ...(runId ? { [LABEL.run]: runId } : {}),
    [LABEL.lab]: scenario.name,
    [LABEL.scenario]: scenarioNameOf(scenario),
    [LABEL.source]: source,
    [LABEL.scenarioJson]: JSON.stringify(scenario),
  };
}
