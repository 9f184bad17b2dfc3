import { listBuiltinScenarios, loadScenario } from '../../src/scenario/load.js';
import type { Scenario } from '../../src/scenario/schema.js';

// Every built-in scenario read once, as `lab` reads it (loadScenario is async: it loads the YAML parser).
const parsed = new Map(await Promise.all(
  listBuiltinScenarios().map(async (name) => [name, (await loadScenario(name)).scenario] as const),
));

/** A built-in scenario, a copy of its own for each call (tests change theirs). */
export function builtinScenario(name: string): Scenario {
  const scenario = parsed.get(name);
  if (!scenario) throw new Error(`no built-in scenario ${name}`);
  return structuredClone(scenario);
}
