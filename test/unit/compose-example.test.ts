import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { LABEL } from '../../src/labels.js';
import { PACKAGE_ROOT } from '../../src/package.js';
import { loadScenario } from '../../src/scenario/load.js';

// Compose reads `<<` merge keys (YAML 1.1); no compose CLI here, so the file is checked as data against rr-basic.
const compose = parse(readFileSync(join(PACKAGE_ROOT, 'docker-compose.example.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, { container_name: string; hostname: string; labels: Record<string, string>; networks: Record<string, { ipv4_address: string }> }>;
  networks: Record<string, { name: string; internal: boolean; labels: Record<string, string>; ipam: { config: Array<{ subnet: string }> } }>;
};
const { scenario } = await loadScenario('rr-basic');

describe('docker-compose.example.yml', () => {
  it('says what it is for and what lab adds', () => {
    const header = readFileSync(join(PACKAGE_ROOT, 'docker-compose.example.yml'), 'utf8').split('\n').slice(0, 5).join('\n');
    expect(header).toMatch(/rr-basic/);
    expect(header).toMatch(/does NOT configure LVS/);
  });

  it('is rr-basic\'s topology with the labels lab up gives it, so status, verify and teardown see it', () => {
    expect(Object.keys(compose.services)).toEqual(scenario.nodes.map((n) => n.name));
    for (const node of scenario.nodes) {
      const service = compose.services[node.name]!;
      expect(service.container_name).toBe(node.name);
      expect(service.hostname).toBe(node.name);
      expect(service.networks.lvs_dr!.ipv4_address).toBe(node.address);
      expect(service.labels).toMatchObject({ [LABEL.lab]: 'rr-basic', [LABEL.scenario]: 'rr-basic', [LABEL.node]: node.name, [LABEL.role]: node.role });
    }
    expect(JSON.parse(compose.services.lvs!.labels[LABEL.scenarioJson]!)).toEqual(JSON.parse(JSON.stringify(scenario)));
    const [network] = scenario.networks;
    expect(compose.networks.lvs_dr).toMatchObject({ name: network!.name, internal: network!.internal, labels: { [LABEL.lab]: 'rr-basic' }, ipam: { config: [{ subnet: network!.subnet }] } });
  });
});
