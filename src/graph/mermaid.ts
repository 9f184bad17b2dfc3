import { ROLE_LABEL, roleDetails, type TopologyGraph } from './model.js';

/** Mermaid's label text: quotes as entities (labels are quoted), nothing else it reads as syntax. */
const entity = (line: string) => line.replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;');
const label = (lines: string[]) => `"${lines.map(entity).join('<br/>')}"`;
/** Mermaid ids are words, and names may hold `.` or `-` (`a-b` and `a_b` would meet as `a_b`): number them instead. */
const netId = (graph: TopologyGraph, name: string) => `net${graph.networks.findIndex((n) => n.name === name)}`;
const nodeId = (graph: TopologyGraph, name: string) => `node${graph.nodes.findIndex((n) => n.name === name)}`;

/**
 * The topology as a Mermaid flowchart: each network a node of its own (a node may be on several, which
 * subgraphs cannot show), each node linked to its networks by the interface and address it has there.
 */
export function renderMermaid(graph: TopologyGraph): string {
  // A title may hold a line break, which would end the comment and start a statement.
  const lines = ['flowchart LR', `  %% ${graph.name}: ${graph.title.replace(/\s+/g, ' ')}`, `  %% VIP ${graph.service}`];
  for (const net of graph.networks) {
    lines.push(`  ${netId(graph, net.name)}[(${label([net.name, net.subnet])})]`);
  }
  for (const node of graph.nodes) {
    const title = `${node.name} (${ROLE_LABEL[node.role]})`;
    lines.push(`  ${nodeId(graph, node.name)}[${label([title, ...roleDetails(node, graph)])}]`);
  }
  for (const node of graph.nodes) {
    for (const iface of node.interfaces) {
      const link = label([`${iface.device} ${iface.address}`]);
      lines.push(`  ${nodeId(graph, node.name)} ---|${link}| ${netId(graph, iface.network)}`);
    }
  }
  lines.push(
    '  classDef director fill:#fdebd3,stroke:#c77a12',
    '  classDef realServer fill:#e3f1e1,stroke:#4a8f45',
    '  classDef client fill:#e8eef7,stroke:#5b7bb0',
    '  classDef service fill:#efe8f5,stroke:#7a5b9e',
  );
  const byRole = (role: string) => graph.nodes.filter((n) => n.role === role).map((n) => nodeId(graph, n.name)).join(',');
  lines.push(
    `  class ${byRole('director')} director`,
    `  class ${byRole('real-server')} realServer`,
    `  class ${byRole('client')} client`,
  );
  if (byRole('service')) lines.push(`  class ${byRole('service')} service`);
  return `${lines.join('\n')}\n`;
}

/** For a Markdown file: the flowchart in a fenced block GitHub and most viewers draw. */
export const mermaidMarkdown = (graph: TopologyGraph) =>
  `# ${graph.name}\n\n${graph.title}\n\n\`\`\`mermaid\n${renderMermaid(graph)}\`\`\`\n`;
