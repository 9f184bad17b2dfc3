/** What the live page's script knows of the lab, embedded in the page as JSON. */
export interface LiveConfig {
  client: string;
  director: string;
  /** Real servers by name: the address and port the director's table lists them by, and how they forward. */
  servers: Record<string, { address: string; port: number; forwarding: 'dr' | 'nat' | 'tun' }>;
  vip: string;
  port: number;
  refreshMs: number;
  /** The header every POST carries (see server.ts). */
  header: string;
}

/**
 * The live page's script, type-checked here and sent as its source text (`liveScript.toString()`), so it must
 * use nothing from outside its own body. It refreshes the director's counters, sends requests and animates
 * each one's path (request blue, reply red, drawn from the server that answered and its forwarding method),
 * and runs the rs/web actions, logging each.
 */
export function liveScript(config: LiveConfig): void {
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const $ = <T extends Element>(selector: string) => document.querySelector(selector) as T;
  const log = (cls: string, text: string, attrs: Record<string, string> = {}) => {
    const li = document.createElement('li');
    li.className = cls;
    li.textContent = `${new Date().toLocaleTimeString()} ${text}`;
    for (const [k, v] of Object.entries(attrs)) li.setAttribute(k, v);
    $('#log').prepend(li);
  };
  const post = async (path: string, body: unknown) => {
    const res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json', [config.header]: '1' }, body: JSON.stringify(body) });
    return { ok: res.ok, body: await res.json() };
  };

  interface Listed { address: string; port: number; weight: number; activeConn: number; inactConn: number }
  interface Stat { address: string; port: number; conns: number; inPkts: number; outPkts: number }
  async function refresh(): Promise<void> {
    try {
      const res = await fetch('/api/state');
      const state = await res.json();
      const service = (state.list as Array<{ vip: string; port: number; realServers: Listed[] }>).find((s) => s.vip === config.vip && s.port === config.port);
      const stats = (state.stats as Array<{ address: string; port: number; realServers: Stat[] }>).find((s) => s.address === config.vip && s.port === config.port);
      for (const [name, rs] of Object.entries(config.servers)) {
        const listed = service?.realServers.find((r) => r.address === rs.address);
        const stat = stats?.realServers.find((r) => r.address === rs.address);
        const row = $(`#servers tr[data-server="${name}"]`);
        row.setAttribute('data-in-table', String(Boolean(listed)));
        const cells = [listed ? 'yes' : 'no', listed?.weight, listed?.activeConn, listed?.inactConn, stat?.conns, stat?.inPkts, stat?.outPkts];
        row.querySelectorAll('td.live').forEach((td, i) => (td.textContent = cells[i] === undefined ? '-' : String(cells[i])));
        $(`g.node[data-node="${name}"]`)?.setAttribute('opacity', listed ? '1' : '0.35');
      }
      $('#stats').textContent = state.statsText;
      $('#updated').textContent = `updated ${new Date(state.at).toLocaleTimeString()}`;
    } catch (err) {
      $('#updated').textContent = `no answer from lab ui (${String(err)})`;
    }
  }

  /** The nodes a request and its reply pass: DR and TUN reply straight to the client, NAT back through the director. */
  function pathOf(server: string): Array<[string, string, 'request' | 'reply']> {
    const viaDirector = config.servers[server]?.forwarding === 'nat';
    return [
      [config.client, config.director, 'request'],
      [config.director, server, 'request'],
      ...(viaDirector ? ([[server, config.director, 'reply'], [config.director, config.client, 'reply']] as Array<[string, string, 'reply']>) : ([[server, config.client, 'reply']] as Array<[string, string, 'reply']>)),
    ];
  }

  function topOf(node: string): { x: number; y: number } | undefined {
    const rect = document.querySelector(`g.node[data-node="${node}"] rect`) as SVGRectElement | null;
    if (!rect) return undefined;
    const box = rect.getBBox();
    return { x: box.x + box.width / 2, y: box.y };
  }

  /** A dot along an arc above the row from one box to the other. */
  function travel(from: string, to: string, kind: 'request' | 'reply'): Promise<void> {
    const a = topOf(from);
    const b = topOf(to);
    const svg = $('#picture svg');
    if (!a || !b) return Promise.resolve();
    const dot = document.createElementNS(SVG_NS, 'circle');
    dot.setAttribute('r', '7');
    dot.setAttribute('class', `packet ${kind}`);
    dot.setAttribute('fill', kind === 'request' ? '#1f5fbf' : '#c0392b');
    svg.appendChild(dot);
    const control = { x: (a.x + b.x) / 2, y: Math.min(a.y, b.y) - 60 - Math.abs(a.x - b.x) / 6 };
    const started = performance.now();
    const duration = 450;
    return new Promise((resolve) => {
      const step = (now: number) => {
        const t = Math.min(1, (now - started) / duration);
        const x = (1 - t) ** 2 * a.x + 2 * (1 - t) * t * control.x + t ** 2 * b.x;
        const y = (1 - t) ** 2 * a.y + 2 * (1 - t) * t * control.y + t ** 2 * b.y;
        dot.setAttribute('cx', String(x));
        dot.setAttribute('cy', String(y));
        if (t < 1) requestAnimationFrame(step);
        else {
          dot.remove();
          resolve();
        }
      };
      requestAnimationFrame(step);
    });
  }

  async function sendRequests(): Promise<void> {
    const count = Number(($('#count') as HTMLInputElement).value);
    const button = $('#send') as HTMLButtonElement;
    button.disabled = true;
    try {
      const { ok, body } = await post('/api/requests', { count });
      if (!ok) return log('error', body.error);
      for (const r of body.results as Array<{ index: number; server: string | null; curlExit: number }>) {
        if (!r.server) {
          log('request failed', `request ${r.index + 1}: no page (curl exit ${r.curlExit})`, { 'data-server': '' });
          continue;
        }
        const hops = pathOf(r.server);
        for (const [from, to, kind] of hops) await travel(from, to, kind);
        log('request', `request ${r.index + 1}: ${r.server} answered`, { 'data-server': r.server, 'data-path': [hops[0]![0], ...hops.map((h) => h[1])].join('>') });
      }
    } finally {
      button.disabled = false;
      void refresh();
    }
  }

  async function runAction(button: HTMLButtonElement): Promise<void> {
    const action = { group: button.dataset.group, action: button.dataset.action, node: button.dataset.node };
    const { ok, body } = await post('/api/node', action);
    const what = `lab ${action.group} ${action.action} ${action.node}`;
    if (!ok || !body.ok) log('action failed', `${what}: failed ${body.error ?? ''}`, { 'data-action': what });
    else log('action', `${what}: ${body.steps.map((s: { command: string }) => s.command).join('; ')}`, { 'data-action': what });
    void refresh();
  }

  $('#send').addEventListener('click', () => void sendRequests());
  document.querySelectorAll('button.node-action').forEach((b) => b.addEventListener('click', () => void runAction(b as HTMLButtonElement)));
  void refresh();
  setInterval(() => void refresh(), config.refreshMs);
}
