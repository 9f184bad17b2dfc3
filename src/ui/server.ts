import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LabError } from '../errors.js';
import type { LabActions, NodeAction } from './actions.js';

/** Loopback only: the page can stop web servers and change the director's table. */
export const UI_HOST = '127.0.0.1';
/** Header every POST must carry: a form or image on another site cannot set it (no cross-site requests). */
export const UI_HEADER = 'x-lab-ui';
const MAX_REQUESTS = 100;

export interface UiServer {
  url: string;
  close(): Promise<void>;
}

/**
 * The live page's server: GET / (the page), GET /api/state (the director's table and counters), POST
 * /api/requests {count}, POST /api/node {group, action, node}. It answers only requests addressed to its own
 * loopback host and port (a DNS-rebinding page cannot reach it) and only POSTs carrying UI_HEADER.
 */
export async function startUiServer(page: string, actions: LabActions, port = 0): Promise<UiServer> {
  const server = createServer((req, res) => {
    const failed = (err: unknown) => send(res, 500, { error: err instanceof Error ? err.message : String(err) });
    handle(req, res, server, page, actions).catch(failed);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, UI_HOST, resolve);
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://${UI_HOST}:${bound}/`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  server: Server,
  page: string,
  actions: LabActions,
): Promise<void> {
  const { port } = server.address() as AddressInfo;
  if (req.headers.host !== `${UI_HOST}:${port}` && req.headers.host !== `localhost:${port}`) {
    return send(res, 421, { error: 'lab ui answers only on its loopback address' });
  }
  const route = `${req.method} ${new URL(req.url ?? '/', 'http://x').pathname}`;
  if (req.method === 'POST' && req.headers[UI_HEADER] !== '1') {
    return send(res, 403, { error: `POST needs the ${UI_HEADER} header` });
  }
  switch (route) {
    case 'GET /':
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(page);
      return;
    case 'GET /api/state':
      return send(res, 200, await actions.state());
    case 'POST /api/requests': {
      const count = Number((await readJson(req)).count);
      if (!Number.isInteger(count) || count < 1 || count > MAX_REQUESTS) {
        return send(res, 400, { error: `count must be 1 to ${MAX_REQUESTS}` });
      }
      return send(res, 200, await actions.sendRequests(count));
    }
    case 'POST /api/node': {
      const action = nodeAction(await readJson(req));
      if (!action) return send(res, 400, { error: 'expected {group: rs|web, action: start|stop, node}' });
      try {
        return send(res, 200, await actions.run(action));
      } catch (err) {
        if (err instanceof LabError) return send(res, 400, { error: err.message, hint: err.hint });
        throw err;
      }
    }
    default:
      return send(res, 404, { error: `no ${route}` });
  }
}

function nodeAction(body: Record<string, unknown>): NodeAction | undefined {
  const { group, action, node } = body;
  const known = (group === 'rs' || group === 'web') && (action === 'start' || action === 'stop');
  if (!known || typeof node !== 'string') return undefined;
  return { group, action, node };
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const chunk of req) {
    text += String(chunk);
    if (text.length > 10_000) break;
  }
  try {
    const value: unknown = JSON.parse(text || '{}');
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}
