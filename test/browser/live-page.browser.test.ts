import { afterEach, describe, expect, it } from 'vitest';
import { loadScenario } from '../../src/scenario/load.js';
import { livePage } from '../../src/ui/page.js';
import { startUiServer, type UiServer } from '../../src/ui/server.js';
import { nonLocalRequests, openBrowser, screenshot, type Browser } from '../helpers/browser.js';
import { fakeLab } from '../helpers/fake-lab.js';

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
    const scenario = loadScenario(name).scenario;
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
    const logged = await page.locator('#log li.request').evaluateAll((lis) => lis.map((li) => [li.getAttribute('data-server'), li.getAttribute('data-path')]).reverse());
    expect(logged).toEqual(['rs1', 'rs2', 'rs1'].map((rs) => [rs, pathPattern.replace('{rs}', rs)]));

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
});
