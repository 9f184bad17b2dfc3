import { forwardingOf, realServers } from '../scenario/model.js';
import type { Scenario } from '../scenario/schema.js';
import { UML_LAB_SCRIPT } from '../package.js';
import { upArguments } from '../scenario/instance.js';

/** Kernel modules a scenario needs on the Docker host: IPVS, its scheduler, and ipip for tunneling. */
export function requiredModules(scenario: Scenario): string[] {
  const tun = realServers(scenario).some((rs) => forwardingOf(scenario, rs) === 'tun');
  return ['ip_vs', `ip_vs_${scenario.service.scheduler}`, ...(tun ? ['ipip'] : [])];
}

/** What to do where the kernel under Docker lacks IPVS: load it, or run the lab inside User-Mode Linux. */
export function loadIpvsFix(scenario: Scenario): string {
  return (
    `On the Docker host run \`sudo modprobe ${requiredModules(scenario).join(' ')}\` ` +
    '(check: `lsmod | grep ip_vs`); a container cannot load it. Docker Desktop and WSL2 kernels often lack ip_vs: use a Linux VM, or run the lab ' +
    `inside User-Mode Linux: \`${UML_LAB_SCRIPT} 'up ${upArguments(scenario)}'\`.`
  );
}

/** The kernel under Docker lacks IPVS: `where` says which ipvsadm said so, `said` its telling line. */
export function noIpvsMessage(where: string, said: string): string {
  return `The kernel under Docker has no IPVS: ${where} says "${said}"`;
}

/** The kernel under Docker lacks ipip, so LVS-TUN's tunl0 does not exist; said by doctor and by `up`. */
export const NO_IPIP = {
  message: 'The kernel under Docker has no ipip module: tunl0 does not exist (LVS-TUN needs it)',
  fix: 'On the Docker host run `sudo modprobe ipip`.',
};
