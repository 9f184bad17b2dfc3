import { escapeXml } from './svg.js';

const STYLE = `
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; margin: 24px; color: #222; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 24px 0 8px; }
.picture { overflow-x: auto; border: 1px solid #ddd; border-radius: 6px; padding: 4px; }
table { border-collapse: collapse; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } code, pre { font-family: "DejaVu Sans Mono", monospace; font-size: 12px; }
pre { background: #f7f7f7; padding: 8px; overflow-x: auto; }
.status { font-weight: bold; white-space: nowrap; }
.pass { color: #1e7b34; } .fail { color: #b3261e; } .not-checked { color: #8a6d00; }
.verdict { font-size: 15px; font-weight: bold; } .muted { color: #666; }
`;

/** Fetches nothing: a stray reference cannot load. */
const STATIC_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";
/** The live page (`lab ui`): its own inline script, which talks to the server that served it and nothing else. */
export const LIVE_POLICY = `${STATIC_POLICY}; script-src 'unsafe-inline'; connect-src 'self'`;

/** A table's header row; the heads are fixed text (they may hold markup), not escaped. */
export const headRow = (heads: string[]) => `<tr>${heads.map((h) => `<th>${h}</th>`).join('')}</tr>`;

/**
 * A self-contained page: styles inline, pictures inline SVG, and a Content-Security-Policy that forbids loading
 * anything from anywhere (the static pages have no script at all; `script` is for the live page).
 */
export function htmlPage(title: string, body: string, script?: string): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${script === undefined ? STATIC_POLICY : LIVE_POLICY}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeXml(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    body,
    ...(script === undefined ? [] : [`<script>${script}</script>`]),
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
