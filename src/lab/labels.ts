import type { Scenario } from '../scenario/schema.js';

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
} as const;

export function labLabels(scenario: Scenario, source: string): Record<string, string> {
  return {
    [LABEL.lab]: scenario.name,
    [LABEL.scenario]: scenario.name,
    [LABEL.source]: source,
    [LABEL.scenarioJson]: JSON.stringify(scenario),
  };
}
