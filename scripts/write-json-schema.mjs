// Run by `npm run build` after tsc: writes the scenario JSON Schema from the compiled zod schema,
// so the shipped file can never disagree with what `lab` validates.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SCENARIO_JSON_SCHEMA_PATH, scenarioJsonSchema } from '../dist/scenario/json-schema.js';

const target = join(dirname(fileURLToPath(import.meta.url)), '..', SCENARIO_JSON_SCHEMA_PATH);
mkdirSync(dirname(target), { recursive: true });
writeFileSync(target, `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`);
