import { forwardingOf, realServers } from '../scenario/model.js';
import type { Scenario } from '../scenario/schema.js';

/** Kernel modules a scenario needs on the Docker host: IPVS, its scheduler, and ipip for tunneling. */
export function requiredModules(scenario: Scenario): string[] {
  const tun = realServers(scenario).some((rs) => forwardingOf(scenario, rs) === 'tun');
  return ['ip_vs', `ip_vs_${scenario.service.scheduler}`, ...(tun ? ['ipip'] : [])];
}
