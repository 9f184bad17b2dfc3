import { imageOf, initSettingOf, privilegeSettingOf } from './model.js';
import type { InitMode, PrivilegeProfile, Scenario } from './schema.js';

/** What the engine was seen to allow; gathered by probes (lab/engine-facts.ts), or assumed for a dry run. */
export interface EngineFacts {
  accepts: { privileged: boolean; capabilities: boolean };
  /** "1" or "2": centos:7's systemd 219 cannot boot on cgroup v2. */
  cgroupVersion: string;
}

/** A dry run touches no engine: assume one that allows what the tutorial does. */
export const ASSUMED_FACTS: EngineFacts = { accepts: { privileged: true, capabilities: true }, cgroupVersion: '1' };

export function hasAuto(scenario: Scenario): boolean {
  return scenario.nodes.some((n) => initSettingOf(scenario, n) === 'auto' || privilegeSettingOf(scenario, n) === 'auto');
}

/**
 * Decides every `auto`: the first privilege profile the engine accepts (privileged, then capabilities, then
 * minimal), and systemd where it will boot (not under minimal, not centos7 on cgroup v2), else none.
 * Each fallback comes with a one-line note saying why.
 */
export function resolveAuto(scenario: Scenario, facts: EngineFacts): { scenario: Scenario; notes: string[] } {
  const notes: string[] = [];
  const profile: PrivilegeProfile = facts.accepts.privileged ? 'privileged' : facts.accepts.capabilities ? 'capabilities' : 'minimal';
  if (profile !== 'privileged' && scenario.nodes.some((n) => privilegeSettingOf(scenario, n) === 'auto')) {
    notes.push(`privilege auto: this engine refuses --privileged; using the ${profile} profile.`);
  }
  const nodes = scenario.nodes.map((n) => {
    const privilege = privilegeSettingOf(scenario, n) === 'auto' ? profile : (privilegeSettingOf(scenario, n) as PrivilegeProfile);
    let init = initSettingOf(scenario, n);
    if (init === 'auto') {
      const why = privilege === 'minimal'
        ? 'systemd needs more than the minimal profile'
        : facts.cgroupVersion === '2' && /centos/i.test(imageOf(scenario, n))
          ? "centos:7's systemd 219 cannot boot on this cgroup v2 host"
          : undefined;
      init = why ? 'none' : 'systemd';
      if (why) notes.push(`${n.name}: init auto -> none (${why}); its web server starts with apachectl.`);
    }
    return { ...n, privilege, init: init as InitMode };
  });
  return { scenario: { ...scenario, nodes }, notes };
}
