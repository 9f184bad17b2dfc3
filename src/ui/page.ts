import { topologyGraph } from '../graph/model.js';
import { headRow, htmlPage } from '../graph/page.js';
import { escapeXml as esc, renderSvg } from '../graph/svg.js';
import {
  addressOn,
  clients,
  director,
  forwardingOf,
  realServerInterface,
  realServers,
  serverPort,
  vipInterface,
} from '../scenario/model.js';
import type { RealServerNode, Scenario } from '../scenario/schema.js';
import { liveScript, type LiveConfig } from './live-script.js';
import { UI_HEADER } from './server.js';

const REFRESH_MS = 2000;
const LIVE_COLUMNS = ['in table', 'weight', 'ActiveConn', 'InActConn', 'Conns', 'InPkts', 'OutPkts'];

/** `lab ui`'s page: the topology, the director's counters per real server (refreshed), requests to send, rs/web actions. */
export function livePage(scenario: Scenario): string {
  const config: LiveConfig = {
    client: clients(scenario)[0]!.name,
    clientIp: addressOn(scenario, clients(scenario)[0]!, vipInterface(scenario).network) ?? '',
    director: director(scenario).name,
    servers: Object.fromEntries(realServers(scenario).map((rs) => [rs.name, liveServer(scenario, rs)])),
    vip: scenario.service.vip,
    port: scenario.service.port,
    refreshMs: REFRESH_MS,
    header: UI_HEADER,
  };
  const rows = realServers(scenario).map((rs) => {
    const { address, port } = config.servers[rs.name]!;
    const live = LIVE_COLUMNS.map(() => '<td class="live">-</td>').join('');
    const cells = `<td>${esc(rs.name)}</td><td>${esc(address)}:${port}</td>${live}`;
    return `<tr data-server="${esc(rs.name)}">${cells}<td>${actionButtons(rs.name)}</td></tr>`;
  });
  const heads = ['real server', 'address', ...LIVE_COLUMNS, 'actions (as <code>lab rs</code> / <code>lab web</code>)'];
  const body = [
    `<h1>lab ui ${esc(scenario.name)}</h1>`,
    `<p class="muted">${refreshNote(REFRESH_MS / 1000)}</p>`,
    `<div class="picture" id="picture">${renderSvg(topologyGraph(scenario))}</div>`,
    `<p>${requestForm(config.client)} <span class="muted">${SEND_NOTE}</span></p>`,
    '<p class="muted" id="timing"></p>',
    '<h2>Real servers in the director\'s table</h2>',
    `<table id="servers">${headRow(heads)}`,
    ...rows,
    '</table>',
    '<h2>Log</h2>',
    '<ul id="log"></ul>',
    '<h2>Director</h2>',
    '<pre id="stats"></pre>',
  ].join('\n');
  // JSON in a script: `<` escaped so no value can close the script element.
  const script = `(${liveScript.toString()})(${JSON.stringify(config).replace(/</g, '\\u003c')});`;
  return htmlPage(`lab ui ${scenario.name}`, body, script);
}

const refreshNote = (seconds: number) =>
  `Live from the director (<code>ipvsadm -Ln</code>, <code>ipvsadm -Ln --stats</code>), every ${seconds} s: ` +
  '<span id="updated">waiting</span>. Served on this machine\'s loopback only; Ctrl-C in the terminal stops it.';
const SEND_NOTE =
  "each a new TCP connection, with tcpdump on every node meanwhile; the dots follow each connection's path as captured " +
  "(request blue, reply red). A connection not captured is drawn as its server's forwarding method goes, and its log line " +
  'says <em>inferred</em>. Hover a log line for the captured MACs and IPs.';

const liveServer = (scenario: Scenario, rs: RealServerNode) => ({
  address: realServerInterface(scenario, rs).address,
  port: serverPort(scenario, rs),
  forwarding: forwardingOf(scenario, rs),
});

const requestForm = (client: string) =>
  `<label>Requests from ${esc(client)}: <input id="count" type="number" min="1" max="100" value="6"></label> ` +
  '<button id="send">Send</button>';

/** The rs/web stop/start buttons of one real server. */
const actionButtons = (node: string) =>
  (['rs', 'web'] as const)
    .flatMap((group) =>
      (['stop', 'start'] as const).map((action) => {
        const data = `data-group="${group}" data-action="${action}" data-node="${esc(node)}"`;
        return `<button class="node-action" ${data}>${group} ${action}</button>`;
      }),
    )
    .join(' ');
