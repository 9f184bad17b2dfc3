import { relative, resolve } from 'node:path';
import { topologyGraph } from '../graph/model.js';
import { headRow, htmlPage } from '../graph/page.js';
import { escapeXml as esc, renderSvg, type PathArrow } from '../graph/svg.js';
import { addressOn, clients, realServerInterface, realServers, vipInterface } from '../scenario/model.js';
import type { Scenario } from '../scenario/schema.js';
import type { Hop } from './dr.js';
import { MARK } from './report.js';
import type { VerifyReport } from './run.js';

export interface VerifyPageOptions {
  /** Where the page is written: capture links are relative to it, so page and captures can be copied as one artifact. */
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
  const total = report.checks.length;
  const verdict = failed ? `FAIL: ${failed} of ${total} checks failed` : `PASS: no check failed (${total} checks)`;
  const methods = report.forwarding.map((f) => f.toUpperCase()).join('+');
  const summary =
    `${methods}, scheduler ${report.scheduler}, VIP ${report.vip}:${report.port}; ` +
    `${report.requests.length} requests from ${report.client}; checking ${report.property}; ${report.seconds} s.`;
  return [
    `<h1>lab verify ${esc(report.lab)}</h1>`,
    `<p class="verdict ${failed ? 'fail' : 'pass'}" data-ok="${report.ok}">${esc(verdict)}</p>`,
    `<p class="muted">${esc(summary)}</p>`,
  ].join('\n');
}

function pathSection(report: VerifyReport): string {
  if (!report.hops?.length) {
    const methods = esc(report.forwarding.join('+').toUpperCase());
    return (
      '<p class="muted" id="no-hops">No hop table: no connection was captured hop by hop ' +
      `(${methods}; lab samples one when every real server uses the same method).</p>`
    );
  }
  const tunnelled = report.hops.some((h) => h.outerSrcIp);
  const outer = (h: Hop) => (tunnelled ? [h.outerSrcIp ?? '', h.outerDstIp ?? ''] : []);
  const cells = (h: Hop) => [h.path, h.srcMac, h.dstMac, ...outer(h), h.srcIp, h.dstIp];
  const codeCells = (h: Hop) => cells(h).map((c) => `<td><code>${esc(c)}</code></td>`).join('');
  const rows = report.hops.map((h) => `<tr class="hop-row" data-hop="${h.hop}"><td>${h.hop}</td>${codeCells(h)}</tr>`);
  const heads = ['hop', 'path', 'src MAC', 'dst MAC', ...(tunnelled ? ['IPIP src', 'IPIP dst'] : []), 'src IP', 'dst IP'];
  return [
    '<p>Solid blue: the request; dashed red: the reply. The hops of one sampled connection, as captured (seed 004\'s table):</p>',
    `<table id="hops">${headRow(heads)}`,
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
    const cells = [
      rs.name,
      address,
      String(rs.weight),
      share === undefined ? '-' : percent(share),
      String(seen),
      answered ? percent(seen / answered) : '-',
      conns === undefined ? '-' : String(conns),
    ];
    const tds = cells.map((c) => `<td>${esc(c)}</td>`).join('');
    return `<tr class="server-row" data-server="${esc(rs.name)}" data-seen="${seen}">${tds}</tr>`;
  });
  const failedRequests = report.requests.length - answered;
  const pages = 'connections (pages the client got)';
  const heads = ['real server', 'address', 'weight', 'expected share', pages, 'share', "director's Conns"];
  const unanswered = failedRequests ? esc(` ${failedRequests} requests got no page.`) : '';
  const sequence = esc(report.requests.map((r) => r.server ?? '??').join(' '));
  return [
    '<h2>Connections per real server</h2>',
    `<table id="counts">${headRow(heads)}`,
    ...rows,
    '</table>',
    `<p class="muted">${esc(shareNote(report, scenario, shares))}${unanswered} Sequence: <code>${sequence}</code></p>`,
  ].join('\n');
}

function shareNote(report: VerifyReport, scenario: Scenario, shares: Map<string, number> | undefined): string {
  if (shares && report.scheduler === 'rr') return 'Expected share: rr gives each server with weight > 0 the same share.';
  if (shares) return "Expected share: wrr gives each server its weight's share.";
  const persistence = scenario.service.persistence ? ' with persistence' : '';
  return `${report.scheduler}${persistence} has no fixed share; its check below says what it promises.`;
}

/** rr and wrr give each server its weight's share (rr: equal among those with weight > 0); others promise other things. */
function expectedShares(scenario: Scenario): Map<string, number> | undefined {
  const { scheduler, persistence } = scenario.service;
  if ((scheduler !== 'rr' && scheduler !== 'wrr') || persistence !== undefined) return undefined;
  const weightOf = (w: number) => (scheduler === 'rr' ? Math.min(w, 1) : w);
  const total = realServers(scenario).reduce((n, rs) => n + weightOf(rs.weight), 0);
  return new Map(realServers(scenario).map((rs) => [rs.name, total ? weightOf(rs.weight) / total : 0]));
}

const percent = (x: number) => `${Math.round(x * 100)}%`;

function checksSection(report: VerifyReport): string {
  const rows = report.checks.map((c) => {
    const diagnosis = c.diagnosis ? `<br><strong>Diagnosis:</strong> ${esc(c.diagnosis)}` : '';
    const status = `<td class="status ${c.status}">${MARK[c.status]}</td>`;
    const tds = `${status}<td>${esc(c.title)}</td><td>${esc(c.summary)}${diagnosis}</td>`;
    return `<tr class="check" data-check="${esc(c.id)}" data-status="${c.status}">${tds}</tr>`;
  });
  const head = `<table id="checks">${headRow(['status', 'check', 'what was seen'])}`;
  return ['<h2>Checks</h2>', head, ...rows, '</table>'].join('\n');
}

function capturesSection(report: VerifyReport, pageDir: string | undefined): string {
  if (report.captures.length === 0) {
    const none = 'None kept: run <code>lab verify --keep-captures DIR</code> to keep the .pcap files.';
    return `<h2>Captures</h2>\n<p class="muted" id="no-captures">${none}</p>`;
  }
  const href = (path: string) => (pageDir ? relative(pageDir, resolve(path)) : path).split('\\').join('/');
  const link = (path: string) => `<a class="capture" href="${esc(encodeURI(href(path)))}" download>${esc(path)}</a>`;
  const items = report.captures.map((path) => `<li>${link(path)}</li>`);
  const intro = '<p>The .pcap files the checks read, for Wireshark or <code>tcpdump -r</code>:</p>';
  return ['<h2>Captures</h2>', intro, '<ul id="captures">', ...items, '</ul>'].join('\n');
}

function evidenceSection(report: VerifyReport): string {
  const table = (t: { command: string; output: string }) =>
    `<p>Director: <code>${esc(t.command)}</code></p><pre>${esc(t.output.trimEnd())}</pre>`;
  return [
    '<h2>Evidence</h2>',
    `<p>On ${esc(report.client)}: <code>${esc(report.requestCommand)}</code></p>`,
    table(report.director.stats),
    table(report.director.connections),
  ].join('\n');
}
