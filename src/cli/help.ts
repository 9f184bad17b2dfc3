/** The fix for every usage error: the command's own help, which lists its arguments, options and examples. */
export const helpHint = (commandPath: string[]) => `run \`${['lab', ...commandPath].join(' ')} --help\``;

/** An `Examples:` section for a command's help: commands to paste, each with what it does. */
export function examples(...items: Array<[command: string, what: string]>): string {
  const width = Math.max(...items.map(([command]) => command.length));
  return `\nExamples:\n${items.map(([command, what]) => `  $ ${command.padEnd(width)}  # ${what}`).join('\n')}`;
}
