import type { Scenario, SetupPhase } from '../scenario/schema.js';
import type { Phase, Step } from './types.js';

/** Which plan phase each setup phase of the scenario file runs in (see PHASES for their order). */
const PHASE_OF: Record<SetupPhase, Phase> = { services: 'appServices', web: 'appWeb', app: 'app' };

/**
 * The scenario's application setup (seed 003's WordPress cluster: exports, mount, database and grant, nginx
 * and php-fpm, wp-config, the install) as plan steps of one phase, in the file's order, each with its reason.
 */
export function setupSteps(scenario: Scenario, phase: SetupPhase): Step[] {
  return scenario.setup
    .filter((s) => s.phase === phase)
    .flatMap((s) => s.nodes.map((node): Step => {
      return { kind: 'exec', phase: PHASE_OF[phase], node, argv: ['sh', '-c', s.run], command: s.run.trim(), why: s.why.trim() };
    }));
}
