import * as z from 'zod';
import { scenarioSchema } from './schema.js';

/** Where the build writes the schema, relative to the package root; built-in scenarios point their editors at it. */
export const SCENARIO_JSON_SCHEMA_PATH = 'schema/scenario.schema.json';

/**
 * The scenario file format as JSON Schema, generated from the zod schema so there is one source of truth.
 * Draft 7 because that is what editors' YAML plugins support best; `input` because defaults make fields optional
 * in a file. Cross-field rules (addresses inside subnets, one director...) are zod's alone: `lab up --dry-run` checks them.
 */
export function scenarioJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(scenarioSchema, { io: 'input', target: 'draft-7' }),
    title: 'lvs-lab scenario',
  };
}
