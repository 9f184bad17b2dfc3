import { wrap } from '../text/wrap.js';
import { PHASES, type Plan, type Step } from './types.js';
import { scenarioNameOf } from '../scenario/instance.js';

/** Where a step runs: on a node, or on the Docker host (networks and containers). */
export const stepWhere = (step: Step): string => (step.kind === 'network' || step.kind === 'container' ? 'host' : step.node);

const WHY = '       why: ';

/**
 * The plan as a student reads it: numbered commands grouped by phase, each with the tutorial's reason.
 * With a `width` (a terminal's columns) the reasons are wrapped under themselves; without one (logs, pipes)
 * each stays on one line, for grep.
 */
export function formatPlan(plan: Plan, opts: { width?: number } = {}): string {
  const s = plan.scenario;
  const instance = s.instance ? ` (instance of ${s.instance.of})` : '';
  const lines = [`Plan for ${s.name}${instance}: ${s.title}${s.seed ? ` (from seed ${s.seed})` : ''}`, ''];
  let phase: Step['phase'] | undefined;
  plan.steps.forEach((step, i) => {
    if (step.phase !== phase) {
      phase = step.phase;
      lines.push(`== ${PHASES[phase]}`);
    }
    lines.push(`${String(i + 1).padStart(3)}. [${stepWhere(step)}] ${step.command}`);
    lines.push(...whyLines(step.why, opts.width));
  });
  lines.push('', `${plan.steps.length} steps. Nothing was run (--dry-run).`);
  return lines.join('\n');
}

function whyLines(why: string, width: number | undefined): string[] {
  if (width === undefined) return [`${WHY}${why}`];
  const [first, ...rest] = wrap(why, Math.max(width - WHY.length, 30), { keepCommands: true });
  return [`${WHY}${first}`, ...rest.map((line) => `${' '.repeat(WHY.length)}${line}`)];
}

/** The plan as data, for `--dry-run --json`. */
export function planToJson(plan: Plan) {
  return {
    lab: plan.lab,
    scenario: scenarioNameOf(plan.scenario),
    seed: plan.scenario.seed ?? null,
    steps: plan.steps.map((step, i) => ({ index: i + 1, phase: step.phase, kind: step.kind, node: stepWhere(step), command: step.command, why: step.why })),
  };
}
