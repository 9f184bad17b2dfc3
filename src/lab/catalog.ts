import { listBuiltinScenarios, loadScenario } from '../scenario/load.js';

export interface CatalogEntry {
  name: string;
  title: string;
  /** The tutorial (seed) it comes from, if any. */
  seed: string | null;
  scheduler: string;
  forwarding: string;
}

/** `lab list`: every built-in scenario, with what it is and the tutorial it comes from. */
export async function scenarioCatalog(): Promise<CatalogEntry[]> {
  return Promise.all(listBuiltinScenarios().map(async (name) => {
    const { scenario } = await loadScenario(name);
    const { title, seed, service, forwarding } = scenario;
    return { name, title, seed: seed ?? null, scheduler: service.scheduler, forwarding };
  }));
}
