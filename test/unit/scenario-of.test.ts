import { describe, expect, it } from 'vitest';
import { environmentError } from '../../src/errors.js';
import { LABEL } from '../../src/labels.js';
import { scenarioOf } from '../../src/lab/scenario-of.js';
import type { DockerRuntime } from '../../src/runtime/docker.js';
import type { EngineContainer } from '../../src/runtime/types.js';
import { builtinScenario } from '../helpers/builtin.js';

// Which scenario `lab graph` draws: a running lab's labels win over the built-in of the same name.

/** A running rr-basic lab whose labels say it has a third real server (as if brought up from an edited file). */
function runningLab(): DockerRuntime {
  const scenario = builtinScenario('rr-basic');
  const edited = { ...scenario, nodes: [...scenario.nodes, { ...scenario.nodes.find((n) => n.name === 'rs2')!, name: 'rs3', address: '172.20.1.12', page: 'from rs3' }] };
  const container: EngineContainer = {
    id: 'x', name: 'lvs', state: 'running', created: 0, addresses: {}, macs: {},
    labels: { [LABEL.lab]: 'rr-basic', [LABEL.scenario]: 'rr-basic', [LABEL.source]: 'file', [LABEL.node]: 'lvs', [LABEL.scenarioJson]: JSON.stringify(edited) },
  };
  return { listContainers: async () => [container] } as unknown as DockerRuntime;
}
const noEngine = async (): Promise<DockerRuntime> => {
  throw environmentError('No Docker engine answers.', 'start it');
};
const names = (s: { scenario: { nodes: Array<{ name: string }> } }) => s.scenario.nodes.map((n) => n.name);

describe('scenarioOf', () => {
  it('a running lab of that name: its labels', async () => {
    const found = await scenarioOf('rr-basic', async () => runningLab());
    expect(found.origin).toBe('running lab rr-basic (its labels)');
    expect(names(found)).toContain('rs3');
  });
  it('no name: the only running lab', async () => {
    expect((await scenarioOf(undefined, async () => runningLab())).origin).toBe('running lab rr-basic (its labels)');
  });
  it('a name no lab runs, or no engine: the built-in scenario', async () => {
    expect((await scenarioOf('nat', async () => runningLab())).origin).toBe('built-in scenario nat');
    const offline = await scenarioOf('rr-basic', noEngine);
    expect([offline.origin, names(offline).includes('rs3')]).toEqual(['built-in scenario rr-basic', false]);
  });
  it('a file never asks Docker', async () => {
    const found = await scenarioOf('scenarios/wrr.yaml', () => { throw new Error('Docker was asked'); });
    expect(found.origin).toMatch(/^file \/.*scenarios\/wrr\.yaml$/);
  });
  it('no name and no engine: the engine error, with a fix to name a scenario', async () => {
    await expect(scenarioOf(undefined, noEngine)).rejects.toMatchObject({ exitCode: 3, hint: expect.stringContaining('lab graph rr-basic') });
  });
});
