/** Quote argv the way a student would type it into a shell. */
export function shellQuote(arg: string): string {
  if (/^[\w@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function shellJoin(argv: string[]): string {
  return argv.map(shellQuote).join(' ');
}

/**
 * A script that writes text plus a newline to a file byte for byte: the text is printf's argument, not
 * its format, and single-quoted, so no backslash, `%`, `$(...)` or backtick is interpreted (dash's `echo`
 * would rewrite `\t` and stop at `\c`).
 */
export function writeFileScript(text: string, path: string): string {
  return `printf '%s\\n' ${shellQuote(text)} > ${shellQuote(path)}`;
}

/** `sh -c SCRIPT` is shown as the script itself: that is what the student types. */
export function displayCommand(argv: string[]): string {
  return argv.length === 3 && argv[0] === 'sh' && argv[1] === '-c' ? argv[2]! : shellJoin(argv);
}
