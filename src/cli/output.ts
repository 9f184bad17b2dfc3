import type { Command } from 'commander';

/**
 * `lvs-lab/up@1`: the `schema` of a command's --json document (`rs stop` is `lvs-lab/rs-stop@1`, no command
 * `lvs-lab/lab@1`).
 */
export const jsonSchemaName = (commandPath: string[]) => `lvs-lab/${commandPath.join('-') || 'lab'}@1`;

/** A command's path below `lab`: `['rs', 'stop']` for `lab rs stop`. */
export function commandPath(command: Command): string[] {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names;
}

/**
 * Every --json document, success or failure: `{ schema, ok, ...fields }` (docs/json.md). The one writer of JSON
 * on stdout, so a command prints exactly one document.
 */
export function writeJson<T extends { ok: boolean }>(command: Command | string[], doc: T): void {
  const schema = jsonSchemaName(Array.isArray(command) ? command : commandPath(command));
  // A report that names its own schema (verify's) names the same one; schema and ok come first either way.
  const { schema: _own, ...fields } = doc as T & { schema?: string };
  process.stdout.write(`${JSON.stringify({ schema, ok: doc.ok, ...(fields as object) }, null, 2)}\n`);
}

/** Whether the user asked for --json (before a `--`, after which the words are a node's command). */
export const jsonRequested = (args: string[]) => {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).includes('--json');
};

/** Columns to wrap text to on a terminal; none when stdout is a pipe or a log. */
export const terminalWidth = (): number | undefined => (process.stdout.isTTY ? process.stdout.columns : undefined);

/**
 * The command `args` name, by the words commander would match (options skipped), even when parsing failed:
 * `['rs', 'stop']` for `lab rs stop rs1 --bogus`. Errors use it for their --help fix and JSON schema.
 */
export function commandPathIn(program: Command, args: string[]): string[] {
  const path: string[] = [];
  let current = program;
  for (const word of args) {
    if (word === '--') break;
    if (word.startsWith('-')) continue;
    const sub = current.commands.find((c) => c.name() === word || c.aliases().includes(word));
    if (!sub) break;
    path.push(sub.name());
    current = sub;
    if (sub.commands.length === 0) break;
  }
  return path;
}
