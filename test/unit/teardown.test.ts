import { parse } from 'yaml';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LABEL, labMade } from '../../src/labels.js';
import { teardownSelector } from '../../src/lab/teardown.js';
import { validateScenario } from '../../src/scenario/load.js';

const rrBasic = () => parse(readFileSync(new URL('../../scenarios/rr-basic.yaml', import.meta.url), 'utf8'));

describe('what `lab teardown` selects', () => {
  it('a lab may be named `all`: the schema takes it like any other name', () => {
    expect(validateScenario({ ...rrBasic(), name: 'all' }, 'all.yaml').name).toBe('all');
  });

  it('the lab named `all` is one lab: its lab-made objects only', () => {
    expect(teardownSelector('all')).toEqual([...labMade(), { key: LABEL.lab, value: 'all' }]);
  });

  it('only "every lab" (`--all`) selects every lab-made object', () => {
    expect(teardownSelector(null)).toEqual(labMade());
  });
});
