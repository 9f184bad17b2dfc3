import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PACKAGE_ROOT } from '../package.js';
import type * as z from 'zod';
import { usageError } from '../errors.js';
import { SCENARIO_JSON_SCHEMA_PATH } from './json-schema.js';
import { scenarioSchema, type Scenario } from './schema.js';

/** Built-in scenarios ship in the package's `scenarios/` folder. */
export const BUILTIN_DIR = resolve(PACKAGE_ROOT, 'scenarios');

export interface LoadedScenario {
  scenario: Scenario;
  /** Where it came from: `builtin:rr-basic` or an absolute file path. */
  source: string;
}

/** `rr-basic` names a built-in scenario; anything with a slash or a .yaml/.yml ending is a file. */
export function isFileReference(ref: string): boolean {
  return ref.includes('/') || /\.ya?ml$/i.test(ref);
}

export function listBuiltinScenarios(): string[] {
  return readdirSync(BUILTIN_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.replace(/\.yaml$/, ''))
    .sort();
}

export async function loadScenario(ref: string): Promise<LoadedScenario> {
  if (isFileReference(ref)) {
    const path = resolve(ref);
    if (!existsSync(path)) throw usageError(`Scenario file ${path} does not exist.`, 'Check the path, or run `lab list` for the built-in scenarios.');
    return { scenario: await parseScenario(readFileSync(path, 'utf8'), path), source: path };
  }
  const path = builtinScenarioPath(ref);
  return { scenario: await parseScenario(readFileSync(path, 'utf8'), path), source: `builtin:${ref}` };
}

function builtinScenarioPath(name: string): string {
  if (!listBuiltinScenarios().includes(name)) {
    throw usageError(`There is no built-in scenario "${name}".`, `Built-in scenarios: ${listBuiltinScenarios().join(', ')}. A file path works too: lab up ./my-lab.yaml`);
  }
  return join(BUILTIN_DIR, `${name}.yaml`);
}

/**
 * A built-in scenario's file, to copy and edit (`lab show`). Its editor schema line points at the installed
 * schema by absolute path, since the copy will not sit next to the package's schema/ folder.
 */
export function builtinScenarioText(name: string): string {
  return readFileSync(builtinScenarioPath(name), 'utf8').replace(
    /^(# yaml-language-server: \$schema=).*$/m,
    (_line, prefix: string) => `${prefix}${resolve(PACKAGE_ROOT, SCENARIO_JSON_SCHEMA_PATH)}`,
  );
}

/** How many nodes YAML aliases (`*name`) may expand to: plenty for a scenario, far too few for a "billion laughs" file. */
const MAX_ALIAS_COUNT = 100;

/**
 * The YAML parser is loaded here, not with the CLI: a command that reads no scenario file (`verify`, `status`)
 * skips it (0.2 s of a one-CPU guest's 1.8-2.0 s for `lab --version`).
 */
export async function parseScenario(text: string, origin: string): Promise<Scenario> {
  // yaml is CommonJS: its module object is the default export both in Node and in the bundle (named: Node only).
  const { parse: parseYaml, YAMLParseError } = (await import('yaml')).default;
  let data: unknown;
  try {
    data = parseYaml(text, { prettyErrors: true, maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    if (err instanceof YAMLParseError) {
      throw usageError(`${origin} is not valid YAML.`, 'Fix the YAML syntax at the line shown.', [err.message]);
    }
    // What yaml throws when the aliases expand past maxAliasCount.
    if (err instanceof ReferenceError) {
      throw usageError(
        `${origin} expands its YAML aliases (*name) into more than ${MAX_ALIAS_COUNT} nodes.`,
        'Write the values out instead of nesting aliases; a scenario needs few or none.',
      );
    }
    throw err;
  }
  return validateScenario(data, origin);
}

/** Validates already-parsed data (a file, or a scenario stored in a lab's labels). */
export function validateScenario(data: unknown, origin: string): Scenario {
  const result = scenarioSchema.safeParse(data);
  if (!result.success) {
    throw usageError(
      `${origin} is not a valid scenario (${result.error.issues.length} problem${result.error.issues.length === 1 ? '' : 's'}).`,
      'Fix each field listed; `lab show rr-basic` prints a built-in scenario to copy from.',
      result.error.issues.map(formatIssue),
    );
  }
  return result.data;
}

/** `nodes[2].address: not inside 172.20.0.0/16` */
export function formatIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.reduce<string>(
    (acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc === '' ? String(key) : `${acc}.${String(key)}`),
    '',
  );
  return `${path === '' ? '(top level)' : path}: ${issue.message}`;
}
