import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEBIAN_IMAGE } from '../../src/image-names.js';
import { rootfsTar } from '../helpers/image.js';
import { nonLocalRequests, openBrowser, openFile, screenshot, SCREENSHOT_DIR } from '../helpers/browser.js';
import { CLI, REPO_ROOT } from '../helpers/cli.js';
import { compileForGuest } from '../helpers/guest-script.js';
import { parseList, parseStats } from '../../src/lvs/parse.js';
import { runInUml, umlAvailable, type GuestResult, type UmlRun } from '../uml/harness.js';

/**
 * The proof on a real kernel with IPVS: User-Mode Linux boots, dockerd starts inside it, the lab image
 * (built from Debian packages) is imported, and the built CLI runs the tutorial end to end.
 */
const lab = (name: string, ...args: string[]) => ({ name, argv: [process.execPath, CLI, ...args] });
// Straight to the engine's API with curl, independent of lab's own code: what is left with the lab label?
const leftovers = (kind: 'containers' | 'networks') => ({
  name: `leftover-${kind}`,
  argv: ['curl', '-s', '--unix-socket', '/var/run/docker.sock', '-G', `http://d/${kind}${kind === 'containers' ? '/json' : ''}`, '--data-urlencode', 'all=1', '--data-urlencode', 'filters={"label":["io.lvs-lab.lab"]}'],
});

/** Every other built-in scenario, each by its own property, in the same boot. */
const OTHER_SCENARIOS = ['wrr', 'nat', 'tun', 'sh', 'persistence', 'lc', 'failover'];
/** Deliberately wrong labs: what a student gets wrong, made by hand after `up`, then verified again. */
const WRONG_VARIANTS: Record<string, Array<{ name: string; argv: string[] }>> = {
  wrr: [
    lab('wrr:swap-weights-rs1', 'exec', 'lvs', '--', 'ipvsadm', '-e', '-t', '192.168.237.141:80', '-r', '192.168.237.171', '-g', '-w', '2'),
    lab('wrr:swap-weights-rs2', 'exec', 'lvs', '--', 'ipvsadm', '-e', '-t', '192.168.237.141:80', '-r', '192.168.237.172', '-g', '-w', '1'),
    lab('wrr:verify-swapped', 'verify', 'wrr', '--json'),
  ],
  nat: [
    lab('nat:drop-gateway-rs2', 'exec', 'rs2', '--', 'ip', 'route', 'del', 'default'),
    lab('nat:verify-no-gateway', 'verify', 'nat', '--json', '--requests', '4'),
  ],
};

let run: UmlRun;
// A host directory the guest may write to: the JUnit file and the kept captures land here.
const out = mkdtempSync(join(tmpdir(), 'lvs-lab-e2e-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));
const result = (name: string): GuestResult => {
  const r = run.results.find((x) => x.name === name);
  if (!r) throw new Error(`no result for ${name}`);
  return r;
};

beforeAll(async () => {
  const available = umlAvailable();
  if (!available.ok) throw new Error(`User-Mode Linux is needed for the real-kernel proof: ${available.reason} (.ci/run installs it)`);
  const tar = await rootfsTar();
  // `lab ui` in Chromium inside the guest, against the running rr-basic (see the driver's header).
  const uiDriver = compileForGuest(join(REPO_ROOT, 'test/e2e/ui-live.driver.ts'));
  const reuseDriver = compileForGuest(join(REPO_ROOT, 'test/e2e/port-reuse.driver.ts'));
  const VIP = '172.20.1.100';
  const inClientNetns = `nsenter -t "$(docker inspect -f '{{.State.Pid}}' client)" -n`;
  run = await runInUml({
    memory: '3G',
    // One CPU for every scenario in turn: about 18 minutes here, more when the machine is busy; `lab ui` in
    // Chromium adds a few minutes more.
    timeoutSeconds: 3000,
    hostMounts: [{ path: dirname(tar) }, { path: out, writable: true }],
    commands: [
      // No image in the guest's fresh dockerd: `up` builds it (here: finds the cached tarball) and imports it.
      { ...lab('up', 'up', 'rr-basic'), timeoutSeconds: 900, stopOnFailure: true },
      lab('verify', 'verify', 'rr-basic', '--json', '--junit', join(out, 'rr-basic.junit.xml'), '--keep-captures', join(out, 'pcap'), '--html', join(out, 'rr-basic.html')),
      lab('verify-12', 'verify', 'rr-basic', '--requests', '12'),
      // Two connections from one client port: the second meets the first's IPVS entry, still in FIN_WAIT.
      { name: 'port-reuse', argv: ['sh', '-c', `exec ${inClientNetns} ${process.execPath} ${reuseDriver} ${VIP} 80 45000`] },
      // Broken on purpose (the table flushed, rs1's ARP settings undone, its VIP gone), then `lab reset` and verify again.
      lab('break-table', 'exec', 'lvs', '--', 'ipvsadm', '-C'),
      lab('break-arp', 'exec', 'rs1', '--', 'sysctl', '-w', 'net.ipv4.conf.all.arp_ignore=0', 'net.ipv4.conf.all.arp_announce=0'),
      lab('break-vip', 'exec', 'rs1', '--', 'ip', 'addr', 'del', '172.20.1.100/32', 'dev', 'lo'),
      lab('broken-table', 'exec', 'lvs', '--', 'ipvsadm', '-Ln'),
      lab('reset', 'reset', 'rr-basic', '--json'),
      lab('reset-verify', 'verify', 'rr-basic', '--json'),
      lab('status', 'status', '--json'),
      lab('tutorial-ipvsadm-Lnc', 'exec', 'lvs', '--', 'ipvsadm', '-Lnc'),
      lab('tutorial-netstat-lvs', 'exec', 'lvs', '--', 'netstat', '-natp'),
      lab('tutorial-netstat-rs1', 'exec', 'rs1', '--', 'netstat', '-natp'),
      lab('rs-stop', 'rs', 'stop', 'rs1'),
      lab('rs-stopped-table', 'exec', 'lvs', '--', 'ipvsadm', '-Ln'),
      lab('rs-stopped-lo', 'exec', 'rs1', '--', 'ip', 'addr', 'show', 'lo'),
      lab('rs-stopped-verify', 'verify', 'rr-basic', '--json'),
      lab('rs-start', 'rs', 'start', 'rs1'),
      lab('rs-started-verify', 'verify', 'rr-basic', '--json'),
      { name: 'ui', argv: [process.execPath, uiDriver, CLI, 'rr-basic'], env: { LAB_SCREENSHOTS: join(out, 'screenshots') }, timeoutSeconds: 900 },
      lab('teardown', 'teardown', 'rr-basic'),
      lab('teardown-again', 'teardown', 'rr-basic'),
      lab('doctor', 'doctor', 'rr-basic', '--json'),
      { ...lab('arp-problem-up', 'up', 'arp-problem', '--no-verify'), timeoutSeconds: 600 },
      lab('arp-problem-verify', 'verify', 'arp-problem', '--json', '--junit', join(out, 'arp-problem.junit.xml')),
      lab('arp-problem-verify-human', 'verify', 'arp-problem'),
      lab('arp-problem-teardown', 'teardown', 'arp-problem'),
      ...OTHER_SCENARIOS.flatMap((name) => [
        { ...lab(`${name}:up`, 'up', name, '--no-verify'), timeoutSeconds: 600 },
        lab(`${name}:verify`, 'verify', name, '--json'),
        ...(WRONG_VARIANTS[name] ?? []),
        lab(`${name}:teardown`, 'teardown', name),
      ]),
      leftovers('containers'),
      leftovers('networks'),
    ],
  });
  process.stdout.write(`[uml] dockerd ready at ${run.dockerReadySeconds.toFixed(1)} s; whole run ${run.totalSeconds.toFixed(1)} s\n`);
  for (const r of run.results) process.stdout.write(`[uml] ${r.name}: exit ${r.exitCode} in ${r.seconds.toFixed(1)} s\n`);
}, 3_100_000);

describe('rr-basic on a real IPVS kernel (User-Mode Linux)', () => {
  it('`lab doctor` on the IPVS kernel: every check passes', () => {
    const d = result('doctor');
    expect(d.exitCode, d.stdout + d.stderr).toBe(0);
    const report = JSON.parse(d.stdout);
    expect(report.checks.map((c: { id: string; status: string }) => [c.id, c.status])).toEqual(
      ['docker', 'image', 'cgroup', 'ipvs', 'privileged', 'subnet', 'vip', 'names'].map((id) => [id, 'pass']),
    );
    expect(result('up').stderr).toContain('Checking the environment');
  });

  it('`lab up` makes the missing lab image itself, from the Debian-packages tarball', () => {
    expect(result('up').stderr).toContain(`Image ${DEBIAN_IMAGE} is missing: building it from Debian packages`);
    expect(result('up').stderr).toContain(`Image ${DEBIAN_IMAGE} imported.`);
  });

  it('`lab up rr-basic` runs every step of the tutorial and its verification passes', () => {
    const up = result('up');
    expect(up.exitCode, up.stderr).toBe(0);
    for (const cmd of [
      '[rs1] $ sysctl -w net.ipv4.conf.all.arp_ignore=1',
      '[rs1] $ ip addr add 172.20.1.100/32 dev lo label lo:1',
      '[rs2] $ systemctl start httpd',
      '[lvs] $ ip addr add 172.20.1.100/16 dev eth0 label eth0:1',
      '[lvs] $ ipvsadm -A -t 172.20.1.100:80 -s rr',
      '[lvs] $ ipvsadm -a -t 172.20.1.100:80 -r 172.20.1.11 -g',
    ]) expect(up.stderr).toContain(cmd);
    expect(up.stdout).toContain('PASS        Scheduling (rr: strict alternation)');
  });

  it('`lab verify` sees rs1 and rs2 alternate, and the director carries no replies (DR)', () => {
    const v = result('verify');
    expect(v.exitCode, v.stderr).toBe(0);
    const report = JSON.parse(v.stdout);
    const sequence: string[] = report.requests.map((r: { server: string }) => r.server);
    expect(sequence).toHaveLength(6);
    expect(new Set(sequence.slice(0, 2))).toEqual(new Set(['rs1', 'rs2']));
    sequence.forEach((s, i) => expect(s).toBe(sequence[i % 2]));
    expect(report.schema).toBe('lvs-lab/verify@1');
    expect(report.checks.map((c: { id: string; status: string }) => [c.id, c.status])).toEqual([
      ['arp', 'pass'],
      ['request-path', 'pass'],
      ['return-path', 'pass'],
      ['director-no-endpoint', 'pass'],
      ['director-replies', 'pass'],
      ['scheduling', 'pass'],
    ]);
    const service = report.director.stats.services.find((s: { address: string }) => s.address === '172.20.1.100');
    const { before, after } = report.director.counters;
    expect([after.conns - before.conns, after.outPkts - before.outPkts]).toEqual([6, 0]);
    // --html waits for IPVS's fold: `--stats` (the page's per-server counts) then has every connection counted.
    expect(service.conns).toBe(after.conns);
    expect(service.outPkts).toBe(0);
    expect(report.director.connections.entries.length).toBeGreaterThanOrEqual(6);
    expect(report.director.connections.entries.every((c: { source: { address: string } }) => c.source.address === '172.20.1.50')).toBe(true);
    process.stdout.write(`[uml] request sequence: ${sequence.join(' ')}\n[uml] director stats:\n${report.director.stats.output}\n`);
  });

  it('a new connection from a port IPVS still remembers (FIN_WAIT, DR) is scheduled anew: rr goes on to the other server', () => {
    expect(result('up').stderr).toContain('[lvs] $ sysctl -w net.ipv4.vs.conn_reuse_mode=3');
    const r = result('port-reuse');
    expect(r.exitCode, r.stderr).toBe(0);
    // With the kernel's default (conn_reuse_mode=1) both went to the same server, unscheduled and uncounted.
    expect(new Set(JSON.parse(r.stdout))).toEqual(new Set(['from rs1 server...', 'from rs2 server...']));
  });

  it('`lab reset` brings a broken lab (table flushed, ARP settings and VIP undone) back: verify passes again, no container made anew', () => {
    for (const name of ['break-table', 'break-arp', 'break-vip']) expect(result(name).exitCode, result(name).stderr).toBe(0);
    expect(result('broken-table').stdout).not.toMatch(/->\s+172\.20\.1\.1[01]:80/);
    const reset = result('reset');
    expect(reset.exitCode, reset.stderr + reset.stdout).toBe(0);
    const doc = JSON.parse(reset.stdout);
    expect(doc).toMatchObject({ schema: 'lvs-lab/reset@1', ok: true, lab: 'rr-basic' });
    const commands = doc.steps.map((s: { node: string; command: string }) => `[${s.node}] ${s.command}`);
    expect(commands).not.toContainEqual(expect.stringMatching(/docker (run|network create)/));
    // On rs1 the ARP settings go back before the VIP does (seed 000's order).
    const arpOn = '[rs1] sysctl -w net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.lo.arp_ignore=1 '
      + 'net.ipv4.conf.all.arp_announce=2 net.ipv4.conf.lo.arp_announce=2';
    const arp = commands.indexOf(arpOn);
    expect(arp).toBeGreaterThanOrEqual(0);
    expect(commands.indexOf('[rs1] ip addr add 172.20.1.100/32 dev lo label lo:1')).toBeGreaterThan(arp);
    expect(commands).toContain('[lvs] ipvsadm -a -t 172.20.1.100:80 -r 172.20.1.11 -g');
    const v = result('reset-verify');
    expect(v.exitCode, v.stderr).toBe(0);
    expect(JSON.parse(v.stdout).checks.every((c: { status: string }) => c.status === 'pass')).toBe(true);
    process.stdout.write(`[uml] lab reset: ${doc.seconds} s, ${doc.steps.length} steps\n`);
  });

  it('packet evidence: the hop table of one connection is seed 004\'s (client -> lvs -> rsN -> client)', () => {
    const report = JSON.parse(result('verify').stdout);
    const hops = report.hops as Array<{ path: string; srcMac: string; dstMac: string; srcIp: string; dstIp: string }>;
    expect(hops).toHaveLength(3);
    expect(hops[0]).toMatchObject({ path: 'client -> lvs', srcIp: '172.20.1.50 (client)', dstIp: '172.20.1.100 (VIP)' });
    expect(hops[1]!.path).toMatch(/^lvs -> rs[12]$/);
    expect(hops[1]).toMatchObject({ srcIp: '172.20.1.50 (client)', dstIp: '172.20.1.100 (VIP)' });
    expect(hops[1]!.srcMac).toMatch(/\(lvs\)$/);
    expect(hops[2]!.path).toMatch(/^rs[12] -> client$/);
    expect(hops[2]).toMatchObject({ srcIp: '172.20.1.100 (VIP)', dstIp: '172.20.1.50 (client)' });
    expect(hops[2]!.srcMac).toMatch(/\(rs[12]\)$/);
  });

  it('--junit and --keep-captures write files a CI system and Wireshark can read', () => {
    const xml = new XMLParser({ ignoreAttributes: false }).parse(readFileSync(join(out, 'rr-basic.junit.xml'), 'utf8'));
    const suite = xml.testsuites.testsuite;
    expect(suite['@_tests']).toBe('6');
    expect(suite['@_failures']).toBe('0');
    expect(suite.testcase).toHaveLength(6);
    const pcaps = readdirSync(join(out, 'pcap')).sort();
    expect(pcaps).toEqual(['client-eth0.pcap', 'lvs-eth0.pcap', 'rs1-eth0.pcap', 'rs2-eth0.pcap']);
    for (const f of pcaps) expect(readFileSync(join(out, 'pcap', f)).readUInt32LE(0)).toBe(0xa1b2c3d4); // pcap magic
  });

  it('--html: the page of a real run, opened in Chromium from disk, shows every check, the hop rows and the kept captures', async () => {
    const report = JSON.parse(result('verify').stdout);
    const browser = await openBrowser();
    try {
      const { page } = await openFile(browser, join(out, 'rr-basic.html'));
      const checks = await page.locator('#checks tr.check').evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-check'), r.getAttribute('data-status')]));
      expect(checks).toEqual(report.checks.map((c: { id: string; status: string }) => [c.id, c.status]));
      expect(await page.locator('tr.hop-row').count()).toBe(report.hops.length);
      const links = await page.locator('a[href$=".pcap"]').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
      expect(links.map((l) => l!.split('/').pop()).sort()).toEqual(['client-eth0.pcap', 'lvs-eth0.pcap', 'rs1-eth0.pcap', 'rs2-eth0.pcap']);
      expect(nonLocalRequests(browser)).toEqual([]);
      await screenshot(page, 'verify-rr-basic-uml');
    } finally {
      await browser.close();
    }
  }, 120_000);

  it('the human report prints the sequence and the director\'s tables', () => {
    const v = result('verify-12');
    expect(v.exitCode).toBe(0);
    expect(v.stdout).toMatch(/Sequence: (rs1 rs2 |rs2 rs1 ){5}(rs1 rs2|rs2 rs1)/);
    expect(v.stdout).toContain('Director: $ ipvsadm -Ln --stats');
    expect(v.stdout).toContain('IPVS connection entries');
    // The check reads IPVS's counters at once, before and after; `--stats` takes them in at its next fold.
    expect(v.stdout).toContain('during these requests IPVS counted Conns 12, InPkts');
    expect(v.stdout).toMatch(/PASS +The director carries no replies \(DR\): OutPkts 0: IPVS on lvs during the requests /);
    expect(v.stdout).toMatch(/during the requests \(cat \/proc\/net\/ip_vs_stats_percpu\): Conns 12, InPkts \d+, OutPkts 0\./);
  });

  it('status lists the running lab; the tutorial\'s own commands run through `lab exec`', () => {
    const labs = JSON.parse(result('status').stdout).labs;
    expect(labs.map((l: { lab: string }) => l.lab)).toEqual(['rr-basic']);
    expect(result('tutorial-ipvsadm-Lnc').stdout).toMatch(/TCP\s+\S+\s+\w+\s+172\.20\.1\.50:\d+\s+172\.20\.1\.100:80\s+172\.20\.1\.1[01]:80/);
    // Seed 000's observation: the director holds no TCP connection for the VIP, the real server does.
    expect(result('tutorial-netstat-lvs').stdout).not.toMatch(/172\.20\.1\.100:80/);
    expect(result('tutorial-netstat-rs1').stdout).toMatch(/0\.0\.0\.0:80\s+0\.0\.0\.0:\*\s+LISTEN/);
  });

  it('arp-problem: verify fails on the ARP check, exit 1, naming the real servers and the sysctls', () => {
    expect(result('arp-problem-up').exitCode).toBe(0);
    const v = result('arp-problem-verify');
    expect(v.exitCode).toBe(1);
    const report = JSON.parse(v.stdout);
    const arp = report.checks.find((c: { id: string }) => c.id === 'arp');
    expect(arp.status).toBe('fail');
    expect(arp.summary).toMatch(/answered by .*rs1/);
    expect(arp.diagnosis).toMatch(/answer ARP for the VIP.*seed 004.*arp_ignore=1.*arp_announce=2/);
    const xml = new XMLParser({ ignoreAttributes: false }).parse(readFileSync(join(out, 'arp-problem.junit.xml'), 'utf8'));
    const failed = [xml.testsuites.testsuite.testcase].flat().filter((t: { failure?: unknown }) => t.failure);
    expect(failed.map((t: { '@_name': string }) => t['@_name'])).toContain('arp: ARP for the VIP 172.20.1.100 answered by the director only');
    const human = result('arp-problem-verify-human');
    expect(human.exitCode).toBe(1);
    expect(human.stdout).toMatch(/FAIL\s+ARP for the VIP/);
    expect(human.stdout).toContain('-> rs1 and rs2 answer ARP for the VIP');
    expect(result('arp-problem-teardown').exitCode).toBe(0);
  });

  it('`lab rs stop rs1` / `lab rs start rs1` do what seed 003\'s lvs-rs.sh stop/start do', () => {
    const stop = result('rs-stop');
    expect(stop.exitCode, stop.stderr).toBe(0);
    expect(stop.stderr).toContain('[lvs] $ ipvsadm -d -t 172.20.1.100:80 -r 172.20.1.10');
    expect(stop.stderr).toContain('[rs1] $ ip addr del 172.20.1.100/32 dev lo');
    expect(result('rs-stopped-table').stdout).not.toContain('172.20.1.10:80');
    expect(result('rs-stopped-lo').stdout).not.toContain('172.20.1.100');
    const stopped = JSON.parse(result('rs-stopped-verify').stdout);
    expect(stopped.requests.map((r: { server: string }) => r.server)).toEqual(Array(6).fill('rs2'));
    expect(result('rs-start').exitCode).toBe(0);
    const started = JSON.parse(result('rs-started-verify').stdout);
    expect(result('rs-started-verify').exitCode).toBe(0);
    expect(new Set(started.requests.map((r: { server: string }) => r.server))).toEqual(new Set(['rs1', 'rs2']));
  });

  describe('`lab ui rr-basic` on the real lab, driven in Chromium inside the guest', () => {
    type Counters = { ipvsadm: string; page: Record<string, string[]> };
    type Observed = {
      failure?: string; timing: string; uiExitCode: unknown; uiStdout: string; portOpenAfter: boolean; uiAlive: boolean; chromiumLeft: string[];
      errors: string[]; nonLocalRequests: string[]; before: Counters; after: Counters;
      requests: Array<{ server: string; path: string; measured: string; hops: string; text: string }>; dots: string[];
      stopped: { ipvsadm: string; log: string; opacity: string }; restarted: { ipvsadm: string; log: string };
    };
    const observed = (): Observed => {
      const r = result('ui');
      try {
        return JSON.parse(r.stdout.trimEnd().split('\n').at(-1)!) as Observed;
      } catch {
        throw new Error(`ui driver: exit ${r.exitCode}, not JSON:\n${r.stdout}\n${r.stderr}`);
      }
    };
    /** Conns, InPkts, OutPkts per real server as ipvsadm printed them, and as the page shows them (in the same order). */
    const compare = (c: Counters) => {
      const service = parseStats(c.ipvsadm).find((s) => s.address === '172.20.1.100')!;
      const fromIpvsadm = Object.fromEntries([['rs1', '172.20.1.10'], ['rs2', '172.20.1.11']].map(([rs, ip]) => {
        const row = service.realServers.find((r) => r.address === ip)!;
        return [rs, [row.conns, row.inPkts, row.outPkts].map(String)];
      }));
      const onPage = Object.fromEntries(Object.entries(c.page).map(([rs, cells]) => [rs, cells.slice(4, 7)]));
      return { fromIpvsadm, onPage };
    };

    it('ran to the end: no failure, no page error, nothing fetched from outside, screenshots saved', () => {
      const r = result('ui');
      expect(r.exitCode, r.stderr).toBe(0);
      const o = observed();
      expect(o.failure).toBeUndefined();
      expect(o.errors).toEqual([]);
      expect(o.nonLocalRequests).toEqual([]);
      process.stdout.write(`[uml] ui: ${o.timing}\n[uml] ui driver figures: ${JSON.stringify(Object.fromEntries(Object.entries(o).filter(([k]) => k.endsWith('Seconds'))))}\n`);
      // Kept with the other screenshots: the guest wrote them to the run's own directory, removed after the run.
      mkdirSync(SCREENSHOT_DIR, { recursive: true });
      const shots = readdirSync(join(out, 'screenshots')).sort();
      expect(shots).toEqual(['1-live', '2-requests', '3-rs1-stopped'].map((s) => `ui-uml-rr-basic-${s}.png`));
      for (const f of shots) {
        copyFileSync(join(out, 'screenshots', f), join(SCREENSHOT_DIR, f));
        process.stdout.write(`screenshot: ${join(SCREENSHOT_DIR, f)}\n`);
      }
    });

    it('the page\'s counters per real server are the director\'s `ipvsadm -Ln --stats`, before and after the requests', () => {
      const o = observed();
      for (const c of [o.before, o.after]) {
        const { fromIpvsadm, onPage } = compare(c);
        expect(onPage).toEqual(fromIpvsadm);
      }
      const conns = (c: Counters) => Object.values(compare(c).fromIpvsadm).reduce((n, [x]) => n + Number(x), 0);
      expect(conns(o.after) - conns(o.before)).toBe(4);
    });

    it('each of the 4 requests is drawn on the path tcpdump captured: client -> lvs -> the server that answered -> client', () => {
      const { requests, dots } = observed();
      expect(requests.map((r) => r.measured)).toEqual(Array(4).fill('captured'));
      // Each path animated leg by leg: two request legs (client -> lvs -> rsN), one reply leg (rsN -> client).
      expect(dots).toEqual(Array(4).fill(['packet request', 'packet request', 'packet reply']).flat());
      for (const r of requests) {
        expect(r.path).toBe(`client>lvs>${r.server}>client`);
        expect(r.hops).toMatch(new RegExp(`^1\\. client -> lvs: MAC \\S+ \\(client\\) -> \\S+ \\(lvs\\), IP 172\\.20\\.1\\.50 \\(client\\) -> 172\\.20\\.1\\.100 \\(VIP\\)$`, 'm'));
        expect(r.hops).toContain(`3. ${r.server} -> client: MAC `);
      }
      const servers = requests.map((r) => r.server);
      expect(new Set(servers)).toEqual(new Set(['rs1', 'rs2']));
      servers.forEach((s, i) => expect(s).toBe(servers[i % 2])); // rr alternates
    });

    it('`rs stop rs1` from the page takes rs1 out of the director\'s table (and the page shows it); `rs start` puts it back', () => {
      const { stopped, restarted } = observed();
      expect(stopped.log).toContain('lab rs stop rs1: ipvsadm -d -t 172.20.1.100:80 -r 172.20.1.10');
      expect(parseList(stopped.ipvsadm)[0]!.realServers.map((r) => r.address)).toEqual(['172.20.1.11']);
      expect(stopped.opacity).toBe('0.35');
      expect(restarted.log).toContain('lab rs start rs1');
      expect(parseList(restarted.ipvsadm)[0]!.realServers.map((r) => r.address).sort()).toEqual(['172.20.1.10', '172.20.1.11']);
    });

    it('Ctrl-C stops it cleanly: exit 0, the port closed, no `lab ui` or Chromium process left', () => {
      const o = observed();
      expect(o.uiExitCode).toBe(0);
      expect(o.uiStdout).toContain('lab ui stopped.');
      expect(o.portOpenAfter).toBe(false);
      expect(o.uiAlive).toBe(false);
      expect(o.chromiumLeft).toEqual([]);
    });
  });

  it('`lab teardown` removes everything labelled, twice is fine, nothing labelled remains', () => {
    expect(result('teardown').exitCode).toBe(0);
    expect(result('teardown').stdout).toMatch(/^Removed 4 containers .* and 1 networks \(lvs_dr\)/);
    expect(result('teardown-again').stdout).toContain('Nothing to remove');
    expect(JSON.parse(result('leftover-containers').stdout)).toEqual([]);
    expect(JSON.parse(result('leftover-networks').stdout)).toEqual([]);
  });
});

const reportOf = (name: string) => {
  const r = result(name);
  try {
    return { exitCode: r.exitCode, report: JSON.parse(r.stdout) };
  } catch {
    throw new Error(`${name}: exit ${r.exitCode}, not JSON:\n${r.stdout}\n${r.stderr}`);
  }
};
const statuses = (report: { checks: Array<{ id: string; status: string }> }) => Object.fromEntries(report.checks.map((c) => [c.id, c.status]));

describe('every built-in scenario, each proved by its own property (same boot)', () => {
  it('every scenario comes up and tears down cleanly', () => {
    for (const name of OTHER_SCENARIOS) {
      expect(result(`${name}:up`).exitCode, `${name}: ${result(`${name}:up`).stderr}`).toBe(0);
      expect(result(`${name}:teardown`).exitCode).toBe(0);
    }
  });

  it('wrr (seed 002): counts 1:2 per cycle, DR path, OutPkts 0', () => {
    const { exitCode, report } = reportOf('wrr:verify');
    expect(statuses(report)).toEqual({ arp: 'pass', 'request-path': 'pass', 'return-path': 'pass', 'director-no-endpoint': 'pass', 'director-replies': 'pass', scheduling: 'pass' });
    expect(exitCode).toBe(0);
    const counts = report.requests.reduce((m: Record<string, number>, r: { server: string }) => ({ ...m, [r.server]: (m[r.server] ?? 0) + 1 }), {});
    expect(counts).toEqual({ rs1: 2, rs2: 4 });
  });

  it('wrr with the weights swapped on the director fails, naming the weights', () => {
    const { exitCode, report } = reportOf('wrr:verify-swapped');
    expect(exitCode).toBe(1);
    const scheduling = report.checks.find((c: { id: string }) => c.id === 'scheduling');
    expect(scheduling.status).toBe('fail');
    expect(scheduling.summary).toContain('expected rs1=2 rs2=4');
    expect(scheduling.diagnosis).toContain('weights differ');
  });

  it('nat (seed 001): gateway via the director, destination and port rewritten, replies through the director', () => {
    const { exitCode, report } = reportOf('nat:verify');
    expect(statuses(report)).toEqual({ 'nat-gateway': 'pass', 'nat-rewrite': 'pass', 'director-replies': 'pass', scheduling: 'pass' });
    expect(exitCode).toBe(0);
    expect(report.requests.map((r: { server: string }) => r.server).sort()).toEqual(['rs1', 'rs1', 'rs1', 'rs2', 'rs2', 'rs2']);
    const { before, after } = report.director.counters;
    expect(after.conns - before.conns).toBe(6);
    expect(after.outPkts - before.outPkts).toBeGreaterThan(0);
    expect(report.checks.find((c: { id: string }) => c.id === 'nat-rewrite').summary).toContain('rs1 172.16.100.11:8080');
  });

  it('nat with a real server that lost the director as gateway fails, naming it and the fix', () => {
    const { exitCode, report } = reportOf('nat:verify-no-gateway');
    expect(exitCode).toBe(1);
    const gateway = report.checks.find((c: { id: string }) => c.id === 'nat-gateway');
    expect(gateway.status).toBe('fail');
    expect(gateway.diagnosis).toMatch(/^rs2 does not use the director as gateway.*ip route replace default via 172\.16\.100\.10/);
  });

  it('tun: requests arrive as IPIP from the director, the director carries no replies, rr alternates', () => {
    const { exitCode, report } = reportOf('tun:verify');
    expect(statuses(report)).toEqual({ 'tun-ipip': 'pass', 'director-replies': 'pass', scheduling: 'pass' });
    expect(exitCode).toBe(0);
  });

  it('sh: each of two clients always lands on the server its address hashes to, and they land on different ones', () => {
    const { exitCode, report } = reportOf('sh:verify');
    expect(statuses(report).scheduling).toBe('pass');
    expect(exitCode).toBe(0);
    const byClient: Record<string, Set<string>> = {};
    for (const r of report.requests as Array<{ client: string; server: string }>) (byClient[r.client] ??= new Set()).add(r.server);
    expect(Object.values(byClient).map((s) => s.size)).toEqual([1, 1]);
    expect([...byClient.client1!][0]).not.toBe([...byClient.client2!][0]);
  });

  it('persistence: one client sticks to one server', () => {
    const { exitCode, report } = reportOf('persistence:verify');
    expect(statuses(report).scheduling).toBe('pass');
    expect(new Set(report.requests.map((r: { server: string }) => r.server)).size).toBe(1);
    expect(exitCode).toBe(0);
  });

  it('lc: with a connection held open on one server, new connections go to the other', () => {
    const { exitCode, report } = reportOf('lc:verify');
    expect(statuses(report).scheduling, JSON.stringify(report.checks)).toBe('pass');
    expect(exitCode).toBe(0);
  });

  it('failover: keepalived drops rs1 while its web server is down, every connection goes to rs2, rs1 comes back', () => {
    const { exitCode, report } = reportOf('failover:verify');
    const failover = report.checks.find((c: { id: string }) => c.id === 'failover');
    expect(failover.status, JSON.stringify(report.checks, null, 2)).toBe('pass');
    expect(statuses(report).scheduling).toBe('pass');
    expect(exitCode).toBe(0);
    process.stdout.write(`[uml] failover: ${failover.summary}\n`);
  });

  it('prints each scenario\'s time and the total', () => {
    const names = ['rr-basic', 'arp-problem', ...OTHER_SCENARIOS];
    const rows = names.map((name) => {
      const mine = run.results.filter((r) => r.name.startsWith(`${name}:`) || (name === 'rr-basic' && !r.name.includes(':') && !r.name.startsWith('arp-problem') && !r.name.startsWith('leftover')) || (name === 'arp-problem' && r.name.startsWith('arp-problem')));
      return { name, seconds: mine.reduce((t, r) => t + r.seconds, 0) };
    });
    const lines = rows.map((r) => `  ${r.name.padEnd(12)} ${r.seconds.toFixed(1).padStart(6)} s`);
    process.stdout.write(`[uml] time per scenario (up, verify, teardown, inside UML):\n${lines.join('\n')}\n  ${'total run'.padEnd(12)} ${run.totalSeconds.toFixed(1).padStart(6)} s\n`);
    expect(rows.every((r) => r.seconds > 0)).toBe(true);
  });
});
