import { describe, expect, it } from 'vitest';
import { hopArrows, verifyPage } from '../../src/verify/html.js';
import { fixtureReport } from '../helpers/verify-fixtures.js';
import { builtinScenario } from '../helpers/builtin.js';
const rrBasic = builtinScenario('rr-basic');
const wrr = builtinScenario('wrr');
const rows = (html: string, cls: string) => [...html.matchAll(new RegExp(`<tr class="${cls}" ([^>]*)>(.*?)</tr>`, 'g'))].map((m) => ({ attrs: m[1]!, cells: m[2]! }));

describe('verify page', () => {
  const report = fixtureReport('rr-basic');
  const html = verifyPage(report, rrBasic, { pageDir: '/artifacts' });

  it('one row per check, with its mark', () => {
    const checks = rows(html, 'check');
    expect(checks.map((r) => /data-check="([^"]+)"/.exec(r.attrs)![1])).toEqual(report.checks.map((c) => c.id));
    expect(checks.every((r) => r.cells.includes('>PASS<'))).toBe(true);
    expect(html).toContain('data-ok="true"');
  });

  it('draws one arrow per hop, from and to the nodes the hop table names, request then reply', () => {
    const arrows = [...html.matchAll(/<g class="hop" data-hop="(\d+)" data-from="([^"]+)" data-to="([^"]+)" data-kind="(\w+)">/g)].map((m) => [Number(m[1]), m[2], m[3], m[4]]);
    expect(arrows).toEqual([[1, 'client', 'lvs', 'request'], [2, 'lvs', 'rs2', 'request'], [3, 'rs2', 'client', 'reply']]);
    for (const h of report.hops!) expect(html).toContain(`MAC ${h.srcMac} -&gt; ${h.dstMac}`);
  });

  it('counts per real server next to the expected share and the director\'s counters', () => {
    expect(rows(html, 'server-row').map((r) => r.cells.replace(/<\/?td>/g, '|'))).toEqual([
      '|rs1||172.20.1.10||1||50%||3||50%||3|',
      '|rs2||172.20.1.11||1||50%||3||50%||3|',
    ]);
  });

  it('links each kept capture relative to the page', () => {
    const page = verifyPage({ ...report, captures: ['/artifacts/pcap/rs1.pcap'] }, rrBasic, { pageDir: '/artifacts' });
    expect(page).toContain('<a class="capture" href="pcap/rs1.pcap" download>/artifacts/pcap/rs1.pcap</a>');
    expect(verifyPage({ ...report, captures: [] }, rrBasic)).toContain('id="no-captures"');
  });

  it('fits a CI artifact and fetches nothing', () => {
    console.log(`verify page: ${Buffer.byteLength(html)} bytes`);
    expect(Buffer.byteLength(html)).toBeLessThan(200 * 1024);
    expect(html).not.toMatch(/<(script|link|img|iframe)\b/);
    expect(html).toContain("default-src 'none'");
  });
});

describe('verify page of a failed run', () => {
  const report = fixtureReport('wrr-failed');
  const html = verifyPage(report, wrr);
  it('shows FAIL with the diagnosis, and the wrr weights\' shares against what came back', () => {
    expect(html).toContain('FAIL: 1 of 5 checks failed');
    const failed = rows(html, 'check').find((r) => r.attrs.includes('data-status="fail"'))!;
    expect(failed.cells).toContain('>FAIL<');
    expect(failed.cells).toContain('<strong>Diagnosis:</strong> The weights on the director are not 1:2');
    expect(rows(html, 'server-row').map((r) => r.cells.match(/<td>([^<]*)<\/td>/g)!.slice(3, 6).join(''))).toEqual([
      '<td>33%</td><td>1</td><td>17%</td>',
      '<td>67%</td><td>5</td><td>83%</td>',
    ]);
  });
  it('NOT CHECKED reads as such, and a lab without hops says why', () => {
    const page = verifyPage({ ...report, hops: null, forwarding: ['nat'], checks: [{ id: 'packet-path', title: 'Packet path', status: 'not-checked', summary: 'mixed methods' }] }, wrr);
    expect(page).toContain('>NOT CHECKED<');
    expect(page).toContain('id="no-hops"');
    expect(page).not.toContain('class="hop"');
  });
});

describe('hop arrows', () => {
  const hop = (n: number, path: string, srcIp: string, dstIp: string) => ({ hop: n, path, srcMac: 'a', dstMac: 'b', srcIp, dstIp });
  it('a hop addressed to the client is the reply; a client bypassing the director is drawn as it was measured', () => {
    expect(hopArrows([hop(1, 'client -> rs1', '10.0.0.5 (client)', '10.0.0.100 (VIP)'), hop(2, 'rs1 -> client', '10.0.0.100 (VIP)', '10.0.0.5 (client)')], '10.0.0.5').map((a) => [a.from, a.to, a.kind]))
      .toEqual([['client', 'rs1', 'request'], ['rs1', 'client', 'reply']]);
  });

  it('NAT: the real server\'s reply to the director is a reply (its source is the real server, not the VIP); TUN labels the IPIP header', () => {
    const nat = [
      hop(1, 'client -> lvs', '10.0.0.5 (client)', '10.0.0.100 (VIP)'), hop(2, 'lvs -> rs1', '10.0.0.5 (client)', '10.1.0.11 (rs1)'),
      hop(3, 'rs1 -> lvs', '10.1.0.11 (rs1)', '10.0.0.5 (client)'), hop(4, 'lvs -> client', '10.0.0.100 (VIP)', '10.0.0.5 (client)'),
    ];
    expect(hopArrows(nat, '10.0.0.5').map((a) => a.kind)).toEqual(['request', 'request', 'reply', 'reply']);
    const tunnelled = { ...hop(2, 'lvs -> rs1', '10.0.0.5 (client)', '10.0.0.100 (VIP)'), outerSrcIp: '10.0.0.1 (lvs)', outerDstIp: '10.0.0.11 (rs1)' };
    expect(hopArrows([tunnelled], '10.0.0.5')[0]!.label).toEqual(['MAC a -> b', 'IPIP 10.0.0.1 (lvs) -> 10.0.0.11 (rs1)', 'IP 10.0.0.5 (client) -> 10.0.0.100 (VIP)']);
  });
});
