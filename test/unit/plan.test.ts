import { describe, expect, it } from 'vitest';
import { LABEL } from '../../src/labels.js';
import { buildPlan } from '../../src/plan/build.js';
import { formatPlan, planToJson } from '../../src/plan/format.js';
import type { Step } from '../../src/plan/types.js';
import { applyOverrides } from '../../src/scenario/model.js';
import { validateScenario } from '../../src/scenario/load.js';
import { builtinScenario } from '../helpers/builtin.js';

const rr = () => builtinScenario('rr-basic');
const commandsOf = (steps: Step[], node?: string) => steps.filter((s) => s.kind === 'exec' && (node === undefined || s.node === node)).map((s) => s.command);

describe('planner', () => {
  it('follows the tutorial: network, containers, systemd, IPVS check, real servers, director', () => {
    const plan = buildPlan(rr(), 'builtin:rr-basic');
    const phases = [...new Set(plan.steps.map((s) => s.phase))];
    expect(phases).toEqual(['network', 'containers', 'init', 'ipvsCheck', 'realServers', 'director']);
    expect(plan.steps[0]).toMatchObject({ kind: 'network', command: 'docker network create --subnet=172.20.0.0/16 --internal lvs_dr' });
    const containers = plan.steps.filter((s) => s.kind === 'container');
    expect(containers.map((s) => s.kind === 'container' && [s.container.name, s.container.init, s.container.interfaces[0]!.address])).toEqual([
      ['lvs', 'systemd', '172.20.1.1'],
      ['rs1', 'systemd', '172.20.1.10'],
      ['rs2', 'systemd', '172.20.1.11'],
      ['client', 'none', '172.20.1.50'],
    ]);
    expect(containers[0]!.command).toBe(
      'docker run -d --privileged=true --name=lvs --hostname=lvs --net lvs_dr --ip 172.20.1.1 --stop-signal=SIGRTMIN+3 lvs-lab/debian:bookworm /usr/sbin/init',
    );
    expect(commandsOf(plan.steps, 'rs1')).toEqual([
      'sysctl -w net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.lo.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 net.ipv4.conf.lo.arp_announce=2',
      'ip addr add 172.20.1.100/32 dev lo label lo:1',
      "printf '%s\\n' 'from rs1 server...' > /var/www/html/index.html",
      'systemctl start httpd',
    ]);
    expect(commandsOf(plan.steps, 'lvs')).toEqual([
      'ipvsadm -Ln',
      'ip addr add 172.20.1.100/16 dev eth0 label eth0:1',
      'sysctl -w net.ipv4.ip_forward=1',
      'ipvsadm -A -t 172.20.1.100:80 -s rr',
      'ipvsadm -a -t 172.20.1.100:80 -r 172.20.1.10 -g',
      'ipvsadm -a -t 172.20.1.100:80 -r 172.20.1.11 -g',
      'sysctl -w net.ipv4.vs.conn_reuse_mode=3',
    ]);
  });

  it('DR and TUN reschedule a reused client port (conn_reuse_mode=3, once the table exists); NAT keeps the default', () => {
    const last = (name: string) => commandsOf(buildPlan(builtinScenario(name), `builtin:${name}`).steps, 'lvs').at(-1);
    expect(last('tun')).toBe('sysctl -w net.ipv4.vs.conn_reuse_mode=3');
    expect(last('failover')).toBe('sysctl -w net.ipv4.vs.conn_reuse_mode=3');
    expect(commandsOf(buildPlan(builtinScenario('nat'), 'builtin:nat').steps).join('\n')).not.toContain('conn_reuse_mode');
    // Never at create time: without IPVS in the kernel the file is missing and the container would not start.
    const minimal = applyOverrides(rr(), { privilege: 'minimal', init: 'none' });
    const minimalPlan = JSON.stringify(buildPlan(minimal, 'builtin:rr-basic').steps);
    expect(minimalPlan).not.toContain('conn_reuse_mode');
  });

  it('sets each real server\'s ARP sysctls before its VIP goes on lo (seed 000 insists)', () => {
    const plan = buildPlan(rr(), 'builtin:rr-basic');
    for (const rs of ['rs1', 'rs2']) {
      const cmds = commandsOf(plan.steps, rs);
      const arp = cmds.findIndex((c) => c.includes('arp_ignore=1') && c.includes('arp_announce=2'));
      const vip = cmds.findIndex((c) => c.startsWith('ip addr add 172.20.1.100/32 dev lo'));
      expect(arp).toBeGreaterThanOrEqual(0);
      expect(vip).toBeGreaterThan(arp);
    }
  });

  it('labels every container with lab, node, role and the scenario itself', () => {
    const plan = buildPlan(rr(), 'builtin:rr-basic');
    for (const s of plan.steps) {
      if (s.kind !== 'container') continue;
      expect(s.container.labels[LABEL.lab]).toBe('rr-basic');
      expect(s.container.labels[LABEL.node]).toBe(s.node);
      expect(JSON.parse(s.container.labels[LABEL.scenarioJson]!).name).toBe('rr-basic');
    }
  });

  it('with the minimal profile, moves sysctls to create time and only reads them back', () => {
    const plan = buildPlan(applyOverrides(rr(), { privilege: 'minimal', init: 'none' }), 'builtin:rr-basic');
    const rs1 = plan.steps.find((s) => s.kind === 'container' && s.node === 'rs1');
    expect(rs1?.kind === 'container' && rs1.container.sysctls).toEqual({
      'net.ipv4.conf.all.arp_ignore': '1',
      'net.ipv4.conf.lo.arp_ignore': '1',
      'net.ipv4.conf.all.arp_announce': '2',
      'net.ipv4.conf.lo.arp_announce': '2',
    });
    expect(rs1?.command).toContain('--sysctl=net.ipv4.conf.all.arp_ignore=1');
    expect(commandsOf(plan.steps, 'rs1')[0]).toBe('sysctl net.ipv4.conf.all.arp_ignore net.ipv4.conf.lo.arp_ignore net.ipv4.conf.all.arp_announce net.ipv4.conf.lo.arp_announce');
    expect(commandsOf(plan.steps, 'rs1')).toContain('apachectl start');
    expect(plan.steps.some((s) => s.kind === 'wait-init')).toBe(false);
  });

  it('refuses systemd with the minimal profile, with the fix', () => {
    expect(() => buildPlan(applyOverrides(rr(), { privilege: 'minimal' }), 'x')).toThrow(/needs the privileged or capabilities profile/);
  });

  it('plans NAT with weights, a mapped port, gateway routes and send_redirects, from data alone', () => {
    const s = validateScenario(
      {
        name: 'nat',
        title: 'NAT',
        forwarding: 'nat',
        networks: [
          { name: 'lvs_client', subnet: '10.77.0.0/24' },
          { name: 'lvs_rs', subnet: '192.168.77.0/24' },
        ],
        service: { vip: '10.77.0.100', scheduler: 'wrr' },
        nodes: [
          { name: 'lvs', role: 'director', addresses: { lvs_client: '10.77.0.2', lvs_rs: '192.168.77.2' } },
          { name: 'rs1', role: 'real-server', addresses: { lvs_rs: '192.168.77.10' }, page: 'one', weight: 2, port: 8080, routes: [{ to: 'default', via: '192.168.77.2' }] },
          { name: 'client', role: 'client', addresses: { lvs_client: '10.77.0.50' }, init: 'none' },
        ],
      },
      'nat.yaml',
    );
    const plan = buildPlan(s, 'nat.yaml');
    expect(commandsOf(plan.steps, 'rs1')[0]).toBe('ip route replace default via 192.168.77.2');
    expect(commandsOf(plan.steps, 'rs1').some((c) => c.startsWith('ip addr add'))).toBe(false);
    expect(commandsOf(plan.steps, 'lvs')).toContain('ipvsadm -a -t 10.77.0.100:80 -r 192.168.77.10:8080 -m -w 2');
    expect(commandsOf(plan.steps, 'lvs').find((c) => c.startsWith('sysctl -w'))).toContain('net.ipv4.conf.eth1.send_redirects=0');
    const lvs = plan.steps.find((s) => s.kind === 'container' && s.node === 'lvs');
    expect(lvs?.command).toContain('&& docker network connect --ip 192.168.77.2 lvs_rs lvs');
  });

  it('prints a dry run a student can read, and its JSON', () => {
    const plan = buildPlan(rr(), 'builtin:rr-basic');
    const text = formatPlan(plan);
    expect(text).toMatch(/^Plan for rr-basic/);
    expect(text).toContain(' 21. [lvs] ipvsadm -a -t 172.20.1.100:80 -r 172.20.1.10 -g');
    expect(text).toContain('why: ');
    expect(planToJson(plan).steps).toHaveLength(plan.steps.length);
  });

  it('wraps the why: lines to a terminal\'s width, under themselves, and not at all without one', () => {
    const plan = buildPlan(rr(), 'builtin:rr-basic');
    const longest = Math.max(...plan.steps.map((s) => s.why.length));
    expect(longest).toBeGreaterThan(200);
    const whyBlocks = (text: string) => text.split('\n').filter((l) => /^ {7}(why: | {5})/.test(l));
    expect(whyBlocks(formatPlan(plan))).toHaveLength(plan.steps.length);
    const wrapped = formatPlan(plan, { width: 80 });
    // Only a backticked command too long for a line may overflow (kept whole for copying).
    expect(whyBlocks(wrapped).filter((l) => l.length > 80 && !l.includes('`'))).toEqual([]);
    expect(whyBlocks(wrapped).length).toBeGreaterThan(plan.steps.length);
    expect(whyBlocks(wrapped).join(' ').replace(/\s+/g, ' ')).toContain(plan.steps.find((s) => s.why.length === longest)!.why.replace(/\s+/g, ' '));
  });
});

describe('keepalived-managed scenario (failover)', () => {
  it('writes keepalived.conf with an HTTP check per real server instead of ipvsadm -A/-a, then waits for the table', async () => {
    const { keepalivedConf } = await import('../../src/plan/build.js');
    const s = builtinScenario('failover');
    const conf = keepalivedConf(s);
    expect(conf).toContain('virtual_server 172.25.0.100 80 {');
    expect(conf).toContain('    delay_loop 2\n    lb_algo rr\n    lb_kind DR\n    protocol TCP');
    expect(conf.match(/real_server 172\.25\.0\.1[01] 80 \{/g)).toHaveLength(2);
    expect(conf).toContain('HTTP_GET {');
    const cmds = commandsOf(buildPlan(s, 'builtin:failover').steps, 'lvs');
    expect(cmds.some((c) => c.startsWith('ipvsadm -A'))).toBe(false);
    expect(cmds).toContain('systemctl start keepalived');
    expect(cmds.at(-2)).toMatch(/grep -c -- '-> \[0-9\]'.* -ge 2/);
  });
});

describe('every built-in scenario as a dry run', () => {
  it('plans, names its seed, and gives every step a reason', async () => {
    const { listBuiltinScenarios } = await import('../../src/scenario/load.js');
    for (const name of listBuiltinScenarios()) {
      const plan = buildPlan(builtinScenario(name), `builtin:${name}`);
      const text = formatPlan(plan);
      expect(text, name).toMatch(/\(from seed 00[0-4]_[0-9a-f]+\.txt\)/);
      expect(plan.steps.every((s) => s.why.length > 20), name).toBe(true);
    }
  });
});
