import { relative, resolve } from 'node:path';
import { topologyGraph } from '../graph/model.js';
import { htmlPage } from '../graph/page.js';
import { escapeXml as esc, renderSvg, type PathArrow } from '../graph/svg.js';
import { addressOn, clients, realServerInterface, realServers, vipInterface } from '../scenario/model.js';
import type { Scenario } from '../scenario/schema.js';
import type { Hop } from './dr.js';
import { MARK } from './report.js';
import type { VerifyReport } from './run.js';

export interface VerifyPageOptions {
  /** The directory the page is written to: capture links are relative to it, so they still work when both are copied as one artifact. */
  pageDir?: string | undefined;
}

/**
 * `lab verify --html`: the report as one page that opens from disk and fetches nothing — the topology with the
 * sampled connection's hops drawn on it, the connections per real server against the expected share, every
 * check with its diagnosis, links to the kept captures, and the director's own tables.
 */
export function verifyPage(report: VerifyReport, scenario: Scenario, opts: VerifyPageOptions = {}): string {
  const arrows = hopArrows(report.hops ?? [], addressOn(scenario, clients(scenario)[0]!, vipInterface(scenario).network) ?? '');
  const body = [
    verdictSection(report),
    `<h2>Topology and one connection's path</h2>`,
    `<div class="picture">${renderSvg(topologyGraph(scenario), arrows)}</div>`,
    pathSection(report),
    countsSection(report, scenario),
    checksSection(report),
    capturesSection(report, opts.pageDir),
    evidenceSection(report),
  ];
  return htmlPage(`lab verify ${report.lab}: ${report.ok ? 'PASS' : 'FAIL'}`, body.join('\n'));
}

/** A hop addressed to the client is the reply (every method keeps the client's address), any other the request. */
export function hopArrows(hops: Hop[], clientIp: string): PathArrow[] {
  return hops.map((h) => {
    const [from = '?', to = '?'] = h.path.split(' -> ');
    const kind = addressOf(h.dstIp) === clientIp ? 'reply' : 'request';
    const ipip = h.outerSrcIp ? [`IPIP ${h.outerSrcIp} -> ${h.outerDstIp}`] : [];
    return { hop: h.hop, from, to, kind, label: [`MAC ${h.srcMac} -> ${h.dstMac}`, ...ipip, `IP ${h.srcIp} -> ${h.dstIp}`] };
  });
}

/** `172.20.1.100 (VIP)` -> `172.20.1.100`. */
const addressOf = (labelled: string) => labelled.split(' ')[0];

function verdictSection(report: VerifyReport): string {
  const failed = report.checks.filter((c) => c.status === 'fail').length;
  const verdict = failed ? `FAIL: ${failed} of ${report.checks.length} checks failed` : `PASS: no check failed (${report.checks.length} checks)`;
  return [
    `<h1>lab verify ${esc(report.lab)}</h1>`,
    `<p class="verdict ${failed ? 'fail' : 'pass'}" data-ok="${report.ok}">${esc(verdict)}</p>`,
    `<p class="muted">${esc(`${report.forwarding.map((f) => f.toUpperCase()).join('+')}, scheduler ${report.scheduler}, VIP ${report.vip}:${report.port}; ${report.requests.length} requests from ${report.client}; checking ${report.property}; ${report.seconds} s.`)}</p>`,
  ].join('\n');
}

function pathSection(report: VerifyReport): string {
  if (!report.hops?.length) {
    return `<p class="muted" id="no-hops">No hop table: no connection was captured hop by hop (${esc(report.forwarding.join('+').toUpperCase())}; lab samples one when every real server uses the same method).</p>`;
  }
  const tunnelled = report.hops.some((h) => h.outerSrcIp);
  const cells = (h: Hop) => [h.path, h.srcMac, h.dstMac, ...(tunnelled ? [h.outerSrcIp ?? '', h.outerDstIp ?? ''] : []), h.srcIp, h.dstIp];
  const rows = report.hops.map((h) => `<tr class="hop-row" data-hop="${h.hop}"><td>${h.hop}</td>${cells(h).map((c) => `<td><code>${esc(c)}</code></td>`).join('')}</tr>`);
  return [
    '<p>Solid blue: the request; dashed red: the reply. The hops of one sampled connection, as captured (seed 004\'s table):</p>',
    `<table id="hops"><tr><th>hop</th><th>path</th><th>src MAC</th><th>dst MAC</th>${tunnelled ? '<th>IPIP src</th><th>IPIP dst</th>' : ''}<th>src IP</th><th>dst IP</th></tr>`,
    ...rows,
    '</table>',
  ].join('\n');
}

/** Connections each real server took: as the client saw them (pages), as the director counted them, and the expected share. */
function countsSection(report: VerifyReport, scenario: Scenario): string {
  const shares = expectedShares(scenario);
  const stats = report.director.stats.services.find((s) => s.address === report.vip && s.port === report.port);
  const answered = report.requests.filter((r) => r.server !== null).length;
  const rows = realServers(scenario).map((rs) => {
    const address = realServerInterface(scenario, rs).address;
    const seen = report.requests.filter((r) => r.server === rs.name).length;
    const conns = stats?.realServers.find((r) => r.address === address)?.conns;
    const share = shares?.get(rs.name);
    const cells = [rs.name, address, String(rs.weight), share === undefined ? '-' : percent(share), String(seen), answered ? percent(seen / answered) : '-', conns === undefined ? '-' : String(conns)];
    return `<tr class="server-row" data-server="${esc(rs.name)}" data-seen="${seen}">${cells.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`;
  });
  const failedRequests = report.requests.length - answered;
  return [
    '<h2>Connections per real server</h2>',
    '<table id="counts"><tr><th>real server</th><th>address</th><th>weight</th><th>expected share</th><th>connections (pages the client got)</th><th>share</th><th>director\'s Conns</th></tr>',
    ...rows,
    '</table>',
    `<p class="muted">${esc(shares ? report.scheduler === 'rr' ? 'Expected share: rr gives each server with weight > 0 the same share.' : 'Expected share: wrr gives each server its weight\'s share.' : `${report.scheduler}${scenario.service.persistence ? ' with persistence' : ''} has no fixed share; its check below says what it promises.`)}${failedRequests ? esc(` ${failedRequests} requests got no page.`) : ''} Sequence: <code>${esc(report.requests.map((r) => r.server ?? '??').join(' '))}</code></p>`,
  ].join('\n');
}

/** rr and wrr give each server its weight's share (rr: equal among those with weight > 0); other schedulers promise something else. */
function expectedShares(scenario: Scenario): Map<string, number> | undefined {
  const { scheduler, persistence } = scenario.service;
  if ((scheduler !== 'rr' && scheduler !== 'wrr') || persistence !== undefined) return undefined;
  const weightOf = (w: number) => (scheduler === 'rr' ? Math.min(w, 1) : w);
  const total = realServers(scenario).reduce((n, rs) => n + weightOf(rs.weight), 0);
  return new Map(realServers(scenario).map((rs) => [rs.name, total ? weightOf(rs.weight) / total : 0]));
}

const percent = (x: number) => `${Math.round(x * 100)}%`;

function checksSection(report: VerifyReport): string {
  const rows = report.checks.map((c) =>
    `<tr class="check" data-check="${esc(c.id)}" data-status="${c.status}"><td class="status ${c.status}">${MARK[c.status]}</td><td>${esc(c.title)}</td><td>${esc(c.summary)}${c.diagnosis ? `<br><strong>Diagnosis:</strong> ${esc(c.diagnosis)}` : ''}</td></tr>`,
  );
  return ['<h2>Checks</h2>', '<table id="checks"><tr><th>status</th><th>check</th><th>what was seen</th></tr>', ...rows, '</table>'].join('\n');
}

function capturesSection(report: VerifyReport, pageDir: string | undefined): string {
  if (report.captures.length === 0) return '<h2>Captures</h2>\n<p class="muted" id="no-captures">None kept: run <code>lab verify --keep-captures DIR</code> to keep the .pcap files.</p>';
  const href = (path: string) => (pageDir ? relative(pageDir, resolve(path)) : path).split('\\').join('/');
  const items = report.captures.map((path) => `<li><a class="capture" href="${esc(encodeURI(href(path)))}" download>${esc(path)}</a></li>`);
  return ['<h2>Captures</h2>', '<p>The .pcap files the checks read, for Wireshark or <code>tcpdump -r</code>:</p>', '<ul id="captures">', ...items, '</ul>'].join('\n');
}

function evidenceSection(report: VerifyReport): string {
  return [
    '<h2>Evidence</h2>',
    `<p>On ${esc(report.client)}: <code>${esc(report.requestCommand)}</code></p>`,
    `<p>Director: <code>${esc(report.director.stats.command)}</code></p><pre>${esc(report.director.stats.output.trimEnd())}</pre>`,
    `<p>Director: <code>${esc(report.director.connections.command)}</code></p><pre>${esc(report.director.connections.output.trimEnd())}</pre>`,
  ].join('\n');
}
