import { describe, expect, it } from 'vitest';
import { parseRequestOutput } from '../../src/verify/requests.js';
import { checkScheduling } from '../../src/verify/schedule.js';
import { requestsFrom } from '../helpers/verify-fixtures.js';
import { builtinScenario } from '../helpers/builtin.js';

const two = [{ name: 'rs1', weight: 1 }, { name: 'rs2', weight: 1 }];

// The script itself runs against a real server: test/integration/verify-shell.test.ts.
describe('request output', () => {
  const scenario = builtinScenario('rr-basic');
  it('maps pages to servers and keeps failures as failures', () => {
    const out = 'from rs2 server...\n\n@@lab-request-exit=0\nfrom rs1 server...\n\n@@lab-request-exit=0\n\n@@lab-request-exit=7\nsomething else\n@@lab-request-exit=0\n';
    expect(parseRequestOutput(scenario, 'client', out).map((r) => [r.server, r.curlExit])).toEqual([['rs2', 0], ['rs1', 0], [null, 7], [null, 0]]);
  });
});

describe('scheduling checks', () => {
  it('rr passes on strict alternation, whichever server starts', () => {
    expect(checkScheduling('rr', two, requestsFrom('client', 'rs2', 'rs1', 'rs2', 'rs1', 'rs2', 'rs1')).status).toBe('pass');
    expect(checkScheduling('rr', two, requestsFrom('client', 'rs1', 'rs2', 'rs1', 'rs2')).status).toBe('pass');
  });
  it('rr fails on a repeat, on a missing server, and on failed requests, with a diagnosis', () => {
    const repeat = checkScheduling('rr', two, requestsFrom('client', 'rs1', 'rs2', 'rs2', 'rs1', 'rs2', 'rs1'));
    expect(repeat.status).toBe('fail');
    expect(repeat.summary).toContain('breaks at request 3');
    const one = checkScheduling('rr', two, requestsFrom('client', 'rs1', 'rs1', 'rs1', 'rs1'));
    expect(one.status).toBe('fail');
    expect(one.diagnosis).toMatch(/^rs2 never answered/);
    const failed = checkScheduling('rr', two, requestsFrom('client', 'rs1', null, 'rs1', 'rs2'));
    expect(failed.status).toBe('fail');
    expect(failed.summary).toContain('curl exit 7');
  });
  it('rr ignores weight-0 (quiesced) servers', () => {
    expect(checkScheduling('rr', [...two, { name: 'rs3', weight: 0 }], requestsFrom('client', 'rs1', 'rs2', 'rs1', 'rs2')).status).toBe('pass');
  });
  it('wrr counts per whole cycle, wherever the cycle starts', () => {
    const weights = [{ name: 'rs1', weight: 1 }, { name: 'rs2', weight: 2 }];
    expect(checkScheduling('wrr', weights, requestsFrom('client', 'rs2', 'rs1', 'rs2', 'rs2', 'rs1', 'rs2')).status).toBe('pass');
    expect(checkScheduling('wrr', weights, requestsFrom('client', 'rs1', 'rs2', 'rs2', 'rs1', 'rs2', 'rs2')).status).toBe('pass');
    const swapped = checkScheduling('wrr', weights, requestsFrom('client', 'rs1', 'rs1', 'rs2', 'rs1', 'rs1', 'rs2'));
    expect(swapped.status).toBe('fail');
    expect(swapped.summary).toContain('expected rs1=2 rs2=4');
  });
  it('does not claim a pass for a scheduler it has no check for', () => {
    expect(checkScheduling('lc', two, requestsFrom('client', 'rs1', 'rs2')).status).toBe('not-checked');
  });
});
