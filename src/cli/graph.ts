import { Command } from 'commander';
import * as z from 'zod';
import { drawGraph } from '../lab/draw-graph.js';
import { examples } from './help.js';
import { parseOptions } from './options.js';
import { writeJson } from './output.js';

const graphOptions = z.object({ output: z.string().min(1).optional(), json: z.boolean().default(false) });

export const graphCommand = new Command('graph')
  .description(
    'draw the lab\'s topology (networks, nodes, addresses, the VIP, weights, forwarding) as SVG, HTML or Mermaid; ' +
      'needs no Docker for a scenario',
  )
  .argument('[scenario]', 'a running lab, a built-in scenario or a scenario file; default: the only running lab')
  .option(
    '-o, --output <file>',
    'write the picture here; .svg, .html, .md (Mermaid in Markdown) or .mmd (Mermaid). Default: Mermaid on stdout',
  )
  .option('--json', 'one JSON document: where the scenario came from, the file written and the topology as data')
  .addHelpText('after', examples(
    ['lab graph rr-basic', 'Mermaid on stdout, to paste into Markdown'],
    ['lab graph nat -o nat.svg', 'a picture of the NAT lab, no Docker needed'],
    ['lab graph ./my-lab.yaml -o my-lab.html', 'a page to open in a browser'],
    ['lab graph', 'the only running lab, as its labels say it runs'],
  ))
  .action(async (ref: string | undefined, raw, command: Command) => {
    const opts = parseOptions(graphOptions, raw);
    const { origin, format, file, text, graph } = await drawGraph(ref, opts.output);
    if (opts.json) writeJson(command, { ok: true, origin, format, file, ...(file ? {} : { text }), graph });
    else if (file) process.stderr.write(`Wrote ${file} (${format}, ${text.length} bytes) from the ${origin}.\n`);
    else process.stdout.write(text);
  });
