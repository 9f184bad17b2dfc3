import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PACKAGE_ROOT } from '../../src/package.js';
import { scenarioJsonSchema, SCENARIO_JSON_SCHEMA_PATH } from '../../src/scenario/json-schema.js';
import { BUILTIN_DIR, listBuiltinScenarios, loadScenario } from '../../src/scenario/load.js';

const FIXTURES = join(PACKAGE_ROOT, 'test', 'fixtures');
const yamlFiles = [
  ...listBuiltinScenarios().map((name) => join(BUILTIN_DIR, `${name}.yaml`)),
  ...readdirSync(FIXTURES).filter((f) => /\.ya?ml$/.test(f)).map((f) => join(FIXTURES, f)),
];
// The file `npm run build` writes, as editors and users get it (not a fresh generation).
const shipped = JSON.parse(readFileSync(join(PACKAGE_ROOT, SCENARIO_JSON_SCHEMA_PATH), 'utf8')) as Record<string, unknown>;
const validate = new Ajv({ allErrors: true, strict: true }).compile(shipped);
const rrBasic = () => parse(readFileSync(join(BUILTIN_DIR, 'rr-basic.yaml'), 'utf8')) as Record<string, any>;

/** Every property schema under `schema`, with its path, through objects, arrays, records and unions. */
function properties(schema: any, path = ''): Array<[string, any]> {
  if (typeof schema !== 'object' || schema === null) return [];
  const own = Object.entries(schema.properties ?? {}).flatMap(([key, sub]) => [[`${path}.${key}`, sub] as [string, any], ...properties(sub, `${path}.${key}`)]);
  const nested = [schema.items, typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined, ...(schema.oneOf ?? []), ...(schema.anyOf ?? [])];
  return [...own, ...nested.flatMap((sub) => properties(sub, `${path}[]`))];
}

describe('scenario JSON Schema (schema/scenario.schema.json)', () => {
  it('is what the zod schema generates (npm run build wrote it)', () => {
    expect(shipped).toEqual(scenarioJsonSchema());
  });

  it.each(yamlFiles)('%s validates with ajv, and its first line points editors at the schema', async (file) => {
    const text = readFileSync(file, 'utf8');
    expect(validate(parse(text)), JSON.stringify(validate.errors)).toBe(true);
    if (file.startsWith(BUILTIN_DIR)) {
      expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=../schema/scenario.schema.json');
      expect((await loadScenario(file)).scenario.name).toBe(file.split('/').at(-1)!.replace('.yaml', ''));
    }
  });

  it('rejects a bad file: unknown scheduler, unknown field, missing VIP, a node without a role', () => {
    const bad = rrBasic();
    bad.service.scheduler = 'fastest';
    bad.nodes[1].colour = 'blue';
    delete bad.service.vip;
    delete bad.nodes[2].role;
    bad.networks[0].subnet = '172.20.0.0';
    expect(validate(bad)).toBe(false);
    const where = validate.errors!.map((e) => `${e.instancePath} ${e.keyword}`);
    expect(where).toEqual(expect.arrayContaining(['/service/scheduler enum', '/service required', '/networks/0/subnet pattern']));
    expect(where.some((w) => w.startsWith('/nodes/1'))).toBe(true);
    expect(where.some((w) => w.startsWith('/nodes/2'))).toBe(true);
  });

  it('describes every field, for editors to show', () => {
    const fields = properties(shipped);
    expect(fields.length).toBeGreaterThan(30);
    expect(fields.filter(([, s]) => typeof s.description !== 'string' || s.description.length < 10).map(([p]) => p)).toEqual([]);
    expect(shipped.description).toMatch(/scenario/);
  });
});
