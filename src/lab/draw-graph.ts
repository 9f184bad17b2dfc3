import { writeFileSync } from 'node:fs';
import { topologyGraph, type TopologyGraph } from '../graph/model.js';
import { graphFormatFor, renderGraph, type GraphFormat } from '../graph/render.js';
import { scenarioOf } from './scenario-of.js';

export interface DrawnGraph {
  origin: string;
  format: GraphFormat;
  /** The file written, or none: the text is for stdout. */
  file: string | null;
  text: string;
  graph: TopologyGraph;
}

/** `lab graph`: the scenario REF means, drawn in the format FILE's extension asks for, written there if given. */
export async function drawGraph(ref: string | undefined, file: string | undefined): Promise<DrawnGraph> {
  const format = graphFormatFor(file); // before any Docker call: a bad extension is a usage error either way
  const { scenario, origin } = await scenarioOf(ref);
  const graph = topologyGraph(scenario);
  const text = renderGraph(graph, format);
  if (file !== undefined) writeFileSync(file, text);
  return { origin, format, file: file ?? null, text, graph };
}
