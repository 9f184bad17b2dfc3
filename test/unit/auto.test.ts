import { describe, expect, it } from 'vitest';
import { ASSUMED_FACTS, hasAuto, resolveAuto } from '../../src/scenario/auto.js';
import { applyOverrides, initOf, privilegeOf } from '../../src/scenario/model.js';
import { builtinScenario } from '../helpers/builtin.js';

const auto = () => applyOverrides(builtinScenario('rr-basic'), { init: 'auto', privilege: 'auto' });
const settings = (s: ReturnType<typeof auto>) => s.nodes.map((n) => [n.name, privilegeOf(s, n), initOf(s, n)]);

describe('auto init and privilege', () => {
  it('takes the tutorial\'s privileged + systemd where the engine allows it', () => {
    expect(hasAuto(auto())).toBe(true);
    const { scenario, notes } = resolveAuto(auto(), ASSUMED_FACTS);
    expect(hasAuto(scenario)).toBe(false);
    expect(settings(scenario)[0]).toEqual(['lvs', 'privileged', 'systemd']);
    expect(notes).toEqual([]);
  });
  it('falls back to capabilities where --privileged is refused, with a note, and keeps systemd', () => {
    const { scenario, notes } = resolveAuto(auto(), { accepts: { privileged: false, capabilities: true }, cgroupVersion: '1' });
    expect(settings(scenario)[1]).toEqual(['rs1', 'capabilities', 'systemd']);
    expect(notes).toEqual(['privilege auto: this engine refuses --privileged; using the capabilities profile.']);
  });
  it('uses init none where systemd cannot boot: under minimal, or centos7 on cgroup v2, saying why', () => {
    const minimal = resolveAuto(auto(), { accepts: { privileged: false, capabilities: false }, cgroupVersion: '1' });
    expect(settings(minimal.scenario)[1]).toEqual(['rs1', 'minimal', 'none']);
    expect(minimal.notes).toContain('rs1: init auto -> none (systemd needs more than the minimal profile); its web server starts with apachectl.');
    const centos = applyOverrides(auto(), { image: 'lvs-lab/centos7' });
    const v2 = resolveAuto(centos, { accepts: { privileged: true, capabilities: true }, cgroupVersion: '2' });
    expect(settings(v2.scenario)[0]).toEqual(['lvs', 'privileged', 'none']);
    expect(v2.notes[0]).toContain("centos:7's systemd 219 cannot boot on this cgroup v2 host");
  });
  it('leaves explicit settings alone', () => {
    const { scenario } = resolveAuto(builtinScenario('rr-basic'), { accepts: { privileged: false, capabilities: false }, cgroupVersion: '2' });
    expect(settings(scenario)[3]).toEqual(['client', 'minimal', 'none']);
    expect(settings(scenario)[0]).toEqual(['lvs', 'privileged', 'systemd']);
  });
});
