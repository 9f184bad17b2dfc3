import { describe, expect, it } from 'vitest';
import { systemdBootLimitMs } from '../../src/lab/steps.js';

// up's bound on a node's systemd boot: 120 s for a lab or two on the engine, 15 s per lab node running with
// more (a class's labs booting on the same CPUs), or what LVS_LAB_BOOT_TIMEOUT says.
describe('the systemd boot limit', () => {
  it('is 120 s while up to 8 lab nodes run on the engine', () => {
    expect(systemdBootLimitMs(4, {})).toBe(120_000);
    expect(systemdBootLimitMs(8, {})).toBe(120_000);
  });

  it('is 15 s for every lab node running beyond that: four 4-node labs 240 s, twenty 1200 s', () => {
    expect(systemdBootLimitMs(9, {})).toBe(135_000);
    expect(systemdBootLimitMs(16, {})).toBe(240_000);
    expect(systemdBootLimitMs(80, {})).toBe(1_200_000);
  });

  it('is LVS_LAB_BOOT_TIMEOUT seconds when that is a positive number, whatever runs', () => {
    expect(systemdBootLimitMs(80, { LVS_LAB_BOOT_TIMEOUT: '60' })).toBe(60_000);
    expect(systemdBootLimitMs(4, { LVS_LAB_BOOT_TIMEOUT: '900' })).toBe(900_000);
    expect(systemdBootLimitMs(4, { LVS_LAB_BOOT_TIMEOUT: 'soon' })).toBe(120_000);
    expect(systemdBootLimitMs(4, { LVS_LAB_BOOT_TIMEOUT: '0' })).toBe(120_000);
  });
});
