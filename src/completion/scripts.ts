/** What shell completion needs to know of a command: its words to offer, each with a description. */
export interface CompletionNode {
  name: string;
  description: string;
  /** Option flags, e.g. `--dry-run` and `-v`. */
  options: Array<{ flags: string[]; description: string }>;
  /** Values for its arguments, e.g. the built-in scenario names. */
  values: string[];
  subcommands: CompletionNode[];
}

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

/** Every command with its path below the root: `['rs', 'stop']`. */
function walk(node: CompletionNode, path: string[] = []): Array<{ path: string[]; node: CompletionNode }> {
  return [{ path, node }, ...node.subcommands.flatMap((sub) => walk(sub, [...path, sub.name]))];
}

/** Each word completion offers after a command, with its description. */
function candidates(node: CompletionNode): Array<{ word: string; description: string }> {
  return [
    ...node.subcommands.map((s) => ({ word: s.name, description: s.description })),
    ...node.values.map((v) => ({ word: v, description: '' })),
    ...node.options.flatMap((o) => o.flags.map((flag) => ({ word: flag, description: o.description }))),
  ];
}

const singleQuoted = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const firstLine = (s: string) => (s.split('\n')[0] ?? '').slice(0, 100);

/**
 * The shell function that walks the words typed so far to the deepest command they name (`/rs/stop`),
 * then offers that command's words. `cmd`, not `path`: zsh ties `path` to $PATH.
 */
function pathWalk(root: CompletionNode, wordsVar: string, from: string, to: string): string {
  const paths = walk(root).filter(({ path }) => path.length > 0).map(({ path }) => `/${path.join('/')}`);
  return [
    `  local cmd= i`,
    `  for ((i = ${from}; i < ${to}; i++)); do`,
    `    case "$cmd/\${${wordsVar}[i]}" in`,
    `      ${paths.join('|')}) cmd="$cmd/\${${wordsVar}[i]}" ;;`,
    '    esac',
    '  done',
  ].join('\n');
}

/** A command path as a shell `case` pattern: '' for the root, '/images/build' below it. */
const casePattern = (path: string[]) => singleQuoted(path.length ? `/${path.join('/')}` : '');

function bash(root: CompletionNode): string {
  const name = root.name;
  const words = (node: CompletionNode) => singleQuoted(candidates(node).map((c) => c.word).join(' '));
  const cases = walk(root).map(({ path, node }) => `    ${casePattern(path)}) words=${words(node)} ;;`);
  return [
    `# ${name} completion for bash: source <(${name} completion bash), or save it in /etc/bash_completion.d/${name}`,
    `_${name}_complete() {`,
    pathWalk(root, 'COMP_WORDS', '1', 'COMP_CWORD'),
    '  local words=',
    '  case "$cmd" in',
    ...cases,
    '  esac',
    '  COMPREPLY=($(compgen -W "$words" -- "${COMP_WORDS[COMP_CWORD]}"))',
    '}',
    // -o default: when no word matches, bash completes file names (scenario files, --junit FILE).
    `complete -o default -F _${name}_complete ${name}`,
    '',
  ].join('\n');
}

function zsh(root: CompletionNode): string {
  const name = root.name;
  // zsh's _describe splits an item at its first unescaped colon: word, then description.
  const item = (c: { word: string; description: string }) => {
    const word = c.word.replace(/:/g, '\\:');
    return singleQuoted(c.description ? `${word}:${firstLine(c.description)}` : word);
  };
  const items = (node: CompletionNode) => candidates(node).map(item).join(' ');
  const cases = walk(root).map(({ path, node }) => `    ${casePattern(path)}) items=(${items(node)}) ;;`);
  return [
    `#compdef ${name}`,
    `# ${name} completion for zsh: source <(${name} completion zsh), or save it as _${name} in a directory of $fpath`,
    `_${name}() {`,
    pathWalk(root, 'words', '2', 'CURRENT'),
    '  local -a items',
    '  case "$cmd" in',
    ...cases,
    '  esac',
    `  _describe '${name}' items`,
    '}',
    `compdef _${name} ${name}`,
    '',
  ].join('\n');
}

function fish(root: CompletionNode): string {
  const name = root.name;
  // A command's words are offered once its path is typed and none of its subcommands yet.
  const condition = (path: string[], node: CompletionNode) => {
    const seen = path.length ? [`__fish_seen_subcommand_from ${path.at(-1)}`] : [];
    const subcommands = node.subcommands.map((s) => s.name).join(' ');
    const notDeeper = node.subcommands.length ? [`not __fish_seen_subcommand_from ${subcommands}`] : [];
    return [...seen, ...notDeeper].join('; and ') || 'true';
  };
  const lines = walk(root).flatMap(({ path, node }) => {
    const when = `-n ${singleQuoted(condition(path, node))}`;
    return [
      ...node.subcommands.map((s) => `complete -c ${name} ${when} -f -a ${s.name} -d ${singleQuoted(firstLine(s.description))}`),
      ...(node.values.length ? [`complete -c ${name} ${when} -a ${singleQuoted(node.values.join(' '))}`] : []),
      ...node.options.map((o) => {
        const flags = o.flags.map((f) => (f.startsWith('--') ? `-l ${f.slice(2)}` : `-s ${f.slice(1)}`)).join(' ');
        return `complete -c ${name} ${when} ${flags} -d ${singleQuoted(firstLine(o.description))}`;
      }),
    ];
  });
  const header = `# ${name} completion for fish: ${name} completion fish > ~/.config/fish/completions/${name}.fish`;
  return [header, ...lines, ''].join('\n');
}

/** A completion script for `shell` that offers exactly the commands, options and values in `root`. */
export function completionScript(shell: Shell, root: CompletionNode): string {
  return { bash, zsh, fish }[shell](root);
}
