import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { livePage } from '../../src/ui/page.js';
import { startUiServer, UI_HEADER, type UiServer } from '../../src/ui/server.js';
import { fakeLab } from '../helpers/fake-lab.js';
import { builtinScenario } from '../helpers/builtin.js';

/** A raw HTTP call, so the Host header can be anything (fetch would not let a test forge it). */
function call(url: string, opts: { method?: string; host?: string; headers?: Record<string, string>; body?: unknown } = {}): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: opts.method ?? 'GET', headers: { host: opts.host ?? u.host, 'content-type': 'application/json', ...opts.headers } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(opts.body === undefined ? undefined : JSON.stringify(opts.body));
  });
}

describe('lab ui server', () => {
  const scenario = builtinScenario('rr-basic');
  const lab = fakeLab(scenario);
  let server: UiServer;
  beforeAll(async () => {
    server = await startUiServer(livePage(scenario), lab);
  });
  afterAll(async () => server?.close());
  const post = (path: string, body: unknown, headers: Record<string, string> = { [UI_HEADER]: '1' }) => call(new URL(path, server.url).href, { method: 'POST', body, headers });

  it('listens on 127.0.0.1 only and serves the page with its live policy', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const r = await call(server.url);
    expect(r.status).toBe(200);
    expect(r.body).toContain("connect-src 'self'");
    expect(r.body).toContain('data-node="rs2"');
  });
  it('answers the state, requests and actions', async () => {
    expect(JSON.parse((await call(new URL('/api/state', server.url).href)).body).list[0].realServers).toHaveLength(2);
    expect(JSON.parse((await post('/api/requests', { count: 4 })).body).results.map((r: { server: string }) => r.server)).toEqual(['rs1', 'rs2', 'rs1', 'rs2']);
    const stop = JSON.parse((await post('/api/node', { group: 'rs', action: 'stop', node: 'rs1' })).body);
    expect(stop.ok).toBe(true);
    expect(stop.steps.map((s: { command: string }) => s.command)).toContain('ipvsadm -d -t 172.20.1.100:80 -r 172.20.1.10');
  });
  it('refuses another Host (DNS rebinding), a POST without its header (cross-site), bad input', async () => {
    expect((await call(server.url, { host: 'evil.example:80' })).status).toBe(421);
    expect((await post('/api/requests', { count: 2 }, {})).status).toBe(403);
    expect((await post('/api/requests', { count: 1000 })).status).toBe(400);
    expect((await post('/api/node', { group: 'rm', action: 'stop', node: 'rs1' })).status).toBe(400);
    const notServer = await post('/api/node', { group: 'rs', action: 'stop', node: 'client' });
    expect([notServer.status, JSON.parse(notServer.body).hint]).toEqual([400, 'Real servers: rs1, rs2.']);
    expect((await call(new URL('/nope', server.url).href)).status).toBe(404);
  });
});
