import { environmentError } from '../errors.js';
import { LABEL } from '../labels.js';
import type { DockerRuntime } from '../runtime/docker.js';
import { INSTANCE_POOL, instantiate, pickSubnets } from '../scenario/instance.js';
import { canonicalCidr, cidrsOverlap, parseCidr, type Cidr } from '../scenario/ipv4.js';
import { validateScenario } from '../scenario/load.js';
import type { Scenario } from '../scenario/schema.js';

/** Every IPv4 subnet the engine's networks hold, but those of lab `except` (its own, kept by --keep-on-failure). */
async function takenSubnets(runtime: DockerRuntime, except?: string): Promise<string[]> {
  const networks = await runtime.listNetworks();
  return networks.filter((n) => except === undefined || n.labels[LABEL.lab] !== except).flatMap((n) => n.subnets);
}

/** Instance `name` of the scenario, on the subnets of the pool that no network of this engine holds now. */
export async function instanceOnEngine(runtime: DockerRuntime, scenario: Scenario, name: string): Promise<Scenario> {
  const prefixes = scenario.networks.map((n) => parseCidr(n.subnet)!.prefix);
  const subnets = pickSubnets(prefixes, await takenSubnets(runtime));
  if (!subnets) {
    const sizes = prefixes.map((p) => `/${p}`).join(', ');
    throw environmentError(
      `No free subnet (${sizes}) is left in ${canonicalCidr(INSTANCE_POOL)} for lab ${name}.`,
      'Tear down labs you no longer need (`lab status` lists them), or remove leftover networks (`docker network ls`).',
    );
  }
  return validateScenario(instantiate(scenario, name, subnets), `Instance ${name} of ${scenario.name}`);
}

/**
 * Did another lab take one of this instance's subnets since they were picked? Two `up --name` at once pick
 * the same free subnet; the engine lets one create its network and refuses the other, which picks again.
 */
export async function subnetTakenMeanwhile(runtime: DockerRuntime, instance: Scenario): Promise<boolean> {
  const mine = instance.networks.map((n) => parseCidr(n.subnet)!);
  const taken = (await takenSubnets(runtime, instance.name).catch(() => []))
    .map(parseCidr)
    .filter((c): c is Cidr => c !== undefined);
  return taken.some((t) => mine.some((m) => cidrsOverlap(t, m)));
}
