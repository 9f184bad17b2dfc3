import { listBuiltinScenarios, loadScenario, type LoadedScenario } from '../../src/scenario/load.js';
import type { Scenario } from '../../src/scenario/schema.js';

// Every built-in scenario read once, as `lab` reads it (loadScenario is async: it loads the YAML parser).
const loaded = new Map(await Promise.all(
  listBuiltinScenarios().map(async (name) => [name, await loadScenario(name)] as const),
));

/** A built-in scenario as loadScenario gave it (its source too), a copy of its own for each call (tests change theirs). */
export function builtinLoaded(name: string): LoadedScenario {
  const entry = loaded.get(name);
  if (!entry) throw new Error(`no built-in scenario ${name}`);
  return structuredClone(entry);
}

/** A built-in scenario, a copy of its own for each call. */
export const builtinScenario = (name: string): Scenario => builtinLoaded(name).scenario;
