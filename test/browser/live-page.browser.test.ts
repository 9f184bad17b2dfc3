import { afterEach, describe, expect, it } from 'vitest';
import { livePage } from '../../src/ui/page.js';
import { startUiServer, type UiServer } from '../../src/ui/server.js';
import { nonLocalRequests, openBrowser, screenshot, type Browser } from '../helpers/browser.js';
import { fakeLab } from '../helpers/fake-lab.js';
import { builtinScenario } from '../helpers/builtin.js';

// `lab ui`'s page in headless Chromium, served by the real server on loopback, in front of a stand-in lab
// (tests here run no Docker); the real lab behind it is `dockerLabActions`, not exercised here.

describe('lab ui live page in a real browser', () => {
  let browser: Browser | undefined;
  let server: UiServer | undefined;
  afterEach(async () => {
    await browser?.close();
    await server?.close();
  });

  it.each([
    ['rr-basic', 'client>lvs>{rs}>client'],
    ['nat', 'client>lvs>{rs}>lvs>client'],
  ])('%s: counters refresh, each request\'s path is animated as its method goes, rs stop takes a server out', async (name, pathPattern) => {
    const scenario = builtinScenario(name);
    const lab = fakeLab(scenario);
    server = await startUiServer(livePage(scenario), lab);
    browser = await openBrowser([server.url]);
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(server.url);
    await page.locator('#updated', { hasText: 'updated' }).waitFor();
    expect(await page.locator('#servers tr[data-in-table="true"]').count()).toBe(2);

    await page.fill('#count', '3');
    await page.click('#send');
    await page.locator('#log li.request').nth(2).waitFor();
    const logged = await page.locator('#log li.request').evaluateAll((lis) => lis.map((li) => [li.getAttribute('data-server'), li.getAttribute('data-path'), li.getAttribute('data-measured')]).reverse());
    expect(logged).toEqual(['rs1', 'rs2', 'rs1'].map((rs) => [rs, pathPattern.replace('{rs}', rs), 'inferred']));
    expect(await page.locator('#log li.request').first().textContent()).toContain('inferred from the method, not captured');

    await page.click('button[data-group="rs"][data-action="stop"][data-node="rs1"]');
    await page.locator('#servers tr[data-server="rs1"][data-in-table="false"]').waitFor();
    expect(await page.locator('g.node[data-node="rs1"]').getAttribute('opacity')).toBe('0.35');
    expect(lab.calls).toEqual([{ group: 'rs', action: 'stop', node: 'rs1' }]);
    expect(await page.locator('#log li.action').first().textContent()).toContain('lab rs stop rs1: ipvsadm -d');

    await page.fill('#count', '2');
    await page.click('#send');
    await page.locator('#log li.request').nth(4).waitFor();
    const after = await page.locator('#log li.request').evaluateAll((lis) => lis.slice(0, 2).map((li) => li.getAttribute('data-server')));
    expect(after).toEqual(['rs2', 'rs2']);
    // The director's Conns for rs2 (1 + 2) shows once the refresh after the send has come back.
    await page.locator('#servers tr[data-server="rs2"] td.live').nth(4).filter({ hasText: /^3$/ }).waitFor();

    await screenshot(page, `ui-${name}`);
    expect(errors).toEqual([]);
    expect(nonLocalRequests(browser)).toEqual([]);
    expect(browser.requests.filter((u) => u.endsWith('/api/state')).length).toBeGreaterThan(0);
  });

  it('a captured path is drawn as captured, not as the method would have it: a client that reaches rs1 directly (the ARP problem)', async () => {
    const scenario = builtinScenario('rr-basic');
    const hop = (n: number, path: string, srcIp: string, dstIp: string) => ({ hop: n, path, srcMac: 'm1', dstMac: 'm2', srcIp, dstIp });
    const bypass = (server: string) => [hop(1, `client -> ${server}`, '172.20.1.50 (client)', '172.20.1.100 (VIP)'), hop(2, `${server} -> client`, '172.20.1.100 (VIP)', '172.20.1.50 (client)')];
    server = await startUiServer(livePage(scenario), fakeLab(scenario, bypass));
    browser = await openBrowser([server.url]);
    const page = await browser.context.newPage();
    await page.goto(server.url);
    await page.fill('#count', '2');
    const kinds: string[] = [];
    await page.exposeFunction('seenPacket', (kind: string) => kinds.push(kind));
    // Every animated dot, by its class, as it is added to the picture.
    await page.evaluate(() => new MutationObserver((ms) => ms.forEach((m) => m.addedNodes.forEach((n) => (window as unknown as { seenPacket(k: string): void }).seenPacket((n as Element).getAttribute('class') ?? ''))))
      .observe(document.querySelector('#picture svg')!, { childList: true }));
    await page.click('#send');
    await page.locator('#log li.request').nth(1).waitFor();
    const logged = await page.locator('#log li.request').evaluateAll((lis) => lis.map((li) => [li.getAttribute('data-path'), li.getAttribute('data-measured'), li.getAttribute('title')]).reverse());
    expect(logged).toEqual(['rs1', 'rs2'].map((rs) => [`client>${rs}>client`, 'captured', `1. client -> ${rs}: MAC m1 -> m2, IP 172.20.1.50 (client) -> 172.20.1.100 (VIP)\n2. ${rs} -> client: MAC m1 -> m2, IP 172.20.1.100 (VIP) -> 172.20.1.50 (client)`]));
    expect(kinds).toEqual(['packet request', 'packet reply', 'packet request', 'packet reply']);
    expect(await page.locator('#timing').textContent()).toContain('0.1 s starting and stopping tcpdump');
  });
});
