/**
 * Splits text into words for wrapping; a `backticked command` is one word, so a command a user copies is
 * never broken across lines.
 */
function words(text: string): string[] {
  const out: string[] = [];
  const re = /`[^`]*`\S*|\S+/g;
  for (const m of text.matchAll(re)) out.push(m[0]);
  return out;
}

/**
 * Greedy word wrap. A word longer than the width is cut into pieces, except a backticked command when
 * `keepCommands` is set (a doctor fix or a `why:` line: it may overflow, but stays whole for copying).
 */
export function wrap(text: string, width: number, opts: { keepCommands?: boolean } = {}): string[] {
  const lines: string[] = [];
  let line = '';
  const pieces = words(text).flatMap((word) => {
    if (word.length <= width || (opts.keepCommands && word.startsWith('`'))) return [word];
    const cut: string[] = [];
    for (let i = 0; i < word.length; i += width) cut.push(word.slice(i, i + width));
    return cut;
  });
  for (const word of pieces) {
    if (line === '') line = word;
    else if (line.length + 1 + word.length <= width) line += ` ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line !== '' || lines.length === 0) lines.push(line);
  return lines;
}
