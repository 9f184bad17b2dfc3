/** What the live page's script knows of the lab, embedded in the page as JSON. */
export interface LiveConfig {
  client: string;
  /** The client's address: a hop addressed to it is a reply. */
  clientIp: string;
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
 * each one's path (request blue, reply red) as tcpdump captured it on the nodes, or, for a connection not
 * captured, as the answering server's forwarding method gives it, marked inferred; and runs the rs/web
 * actions, logging each.
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

  type Leg = [string, string, 'request' | 'reply'];
  interface CapturedHop { hop: number; path: string; srcMac: string; dstMac: string; srcIp: string; dstIp: string; outerSrcIp?: string; outerDstIp?: string }
  /** The captured hops as legs: a hop addressed to the client is the reply. */
  const legsOf = (hops: CapturedHop[]): Leg[] =>
    hops.map((h) => {
      const [from = '?', to = '?'] = h.path.split(' -> ');
      return [from, to, h.dstIp.split(' ')[0] === config.clientIp ? 'reply' : 'request'];
    });
  const hopText = (h: CapturedHop) => `${h.hop}. ${h.path}: MAC ${h.srcMac} -> ${h.dstMac}${h.outerSrcIp ? `, IPIP ${h.outerSrcIp} -> ${h.outerDstIp}` : ''}, IP ${h.srcIp} -> ${h.dstIp}`;

  /** Inferred, not measured: DR and TUN reply straight to the client, NAT back through the director. */
  function pathOf(server: string): Leg[] {
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
      $('#timing').textContent = `${body.results.length} requests in ${body.seconds.toFixed(1)} s, of which ${body.captureSeconds.toFixed(1)} s starting and stopping tcpdump on the nodes.`;
      for (const r of body.results as Array<{ index: number; server: string | null; curlExit: number; hops: CapturedHop[] | null }>) {
        const captured = Boolean(r.hops?.length);
        if (!r.server && !captured) {
          log('request failed', `request ${r.index + 1}: no page (curl exit ${r.curlExit})`, { 'data-server': '' });
          continue;
        }
        const legs = captured ? legsOf(r.hops!) : pathOf(r.server!);
        for (const [from, to, kind] of legs) await travel(from, to, kind);
        const path = [legs[0]![0], ...legs.map((l) => l[1])].join('>');
        const answered = r.server ? `${r.server} answered` : `no page (curl exit ${r.curlExit})`;
        log(r.server ? 'request' : 'request failed', `request ${r.index + 1}: ${answered}; path ${captured ? 'captured' : 'inferred from the method, not captured'}: ${path.split('>').join(' > ')}`, {
          'data-server': r.server ?? '', 'data-path': path, 'data-measured': captured ? 'captured' : 'inferred', title: captured ? r.hops!.map(hopText).join('\n') : '',
        });
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
  // The next refresh starts once the last has come back: on a slow lab (one CPU, UML) one can take longer
  // than the interval, and overlapping ones would pile up on the director.
  const loop = async () => {
    await refresh();
    setTimeout(() => void loop(), config.refreshMs);
  };
  void loop();
}
