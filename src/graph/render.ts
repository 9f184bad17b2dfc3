import { extname } from 'node:path';
import { usageError } from '../errors.js';
import { mermaidMarkdown, renderMermaid } from './mermaid.js';
import type { TopologyGraph } from './model.js';
import { htmlPage } from './page.js';
import { escapeXml, renderSvg } from './svg.js';

export const GRAPH_FORMATS = { '.svg': 'svg', '.html': 'html', '.htm': 'html', '.md': 'markdown', '.mmd': 'mermaid' } as const;
export type GraphFormat = (typeof GRAPH_FORMATS)[keyof typeof GRAPH_FORMATS];

/** The format a file's extension asks for; Mermaid when there is no file (stdout). */
export function graphFormatFor(file: string | undefined): GraphFormat {
  if (file === undefined) return 'mermaid';
  const format = GRAPH_FORMATS[extname(file).toLowerCase() as keyof typeof GRAPH_FORMATS];
  if (!format) {
    const endings = Object.keys(GRAPH_FORMATS).join(', ');
    const fix = `End the file name with one of ${endings} (e.g. \`lab graph rr-basic -o rr-basic.svg\`).`;
    throw usageError(`Cannot tell the picture's format from "${file}".`, fix);
  }
  return format;
}

export function renderGraph(graph: TopologyGraph, format: GraphFormat): string {
  switch (format) {
    case 'svg':
      return `<?xml version="1.0" encoding="UTF-8"?>\n${renderSvg(graph)}\n`;
    case 'html':
      return htmlPage(
        `${graph.name}: topology`,
        `<h1>${escapeXml(`lab graph ${graph.name}`)}</h1>\n<div class="picture">${renderSvg(graph)}</div>`,
      );
    case 'markdown':
      return mermaidMarkdown(graph);
    case 'mermaid':
      return renderMermaid(graph);
  }
}
