import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../src/plan/build.js';
import { formatPlan } from '../../src/plan/format.js';
import { realServerRolePlan, webServicePlan } from '../../src/plan/role.js';
import { PHASES } from '../../src/plan/types.js';
import { validateScenario } from '../../src/scenario/load.js';
import type { Step } from '../../src/plan/types.js';
import type { Scenario } from '../../src/scenario/schema.js';
import { builtinScenario } from '../helpers/builtin.js';

const webControl = (s: Scenario, node: string, action: 'start' | 'stop') => {
  const [step] = webServicePlan(s, node, action).steps;
  return step?.kind === 'exec' ? step.argv : [];
};
const plan = (name: string) => buildPlan(builtinScenario(name), name);
const execs = (steps: Step[]) => steps.filter((s): s is Extract<Step, { kind: 'exec' }> => s.kind === 'exec');
const at = (steps: Step[], node: string, includes: string) => steps.findIndex((s) => s.kind === 'exec' && s.node === node && s.command.includes(includes));

describe('seed 003: the WordPress cluster as a plan', () => {
  const steps = plan('wordpress').steps;

  it('uses the seed\'s addresses, names and weights, every node from the WordPress image', () => {
    const s = builtinScenario('wordpress');
    expect(s.nodes.map((n) => [n.name, n.role, n.address])).toEqual([
      ['lvs', 'director', '172.16.0.31'], ['rs1', 'real-server', '172.16.0.32'], ['rs2', 'real-server', '172.16.0.33'],
      ['nfs', 'service', '172.16.0.34'], ['mysql', 'service', '172.16.0.35'], ['client', 'client', '172.16.0.50'],
    ]);
    expect(s.service.vip).toBe('172.16.0.40');
    expect(steps.filter((x) => x.kind === 'container').every((x) => x.kind === 'container' && x.container.image === 'lvs-lab/wordpress:bookworm')).toBe(true);
    expect(execs(steps).map((x) => x.command)).toEqual(expect.arrayContaining([
      'ipvsadm -A -t 172.16.0.40:80 -s rr', 'ipvsadm -a -t 172.16.0.40:80 -r 172.16.0.32 -g', 'ipvsadm -a -t 172.16.0.40:80 -r 172.16.0.33 -g -w 2',
      'ip addr add 172.16.0.40/32 dev eth0 label eth0:0', 'route add -host 172.16.0.40 dev lo',
    ]));
  });

  it('runs the seed\'s order: NFS and MySQL, then mount/nginx/php-fpm, then the DR role, the director, the install through the VIP', () => {
    const order = [
      at(steps, 'nfs', '/etc/exports'), at(steps, 'mysql', 'create database wpdb'), at(steps, 'rs1', 'mount -t nfs 172.16.0.34:/data/wordpress /wordpress'),
      at(steps, 'rs2', 'wordpress.conf'), at(steps, 'rs1', 'php8.2-fpm'), at(steps, 'rs1', 'arp_ignore'), at(steps, 'rs1', 'systemctl start nginx'),
      at(steps, 'lvs', 'ipvsadm -A'), at(steps, 'client', 'install.php?step=2'),
    ];
    expect(order.every((i) => i >= 0), JSON.stringify(order)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(execs(steps).find((x) => x.node === 'mysql')!.command).toContain("grant all on wpdb.* to 'wpuser'@'172.16.%'");
    expect(execs(steps).find((x) => x.node === 'nfs' && x.command.includes('/etc/exports'))!.command).toContain('/data/wordpress 172.16.0.0/16(rw');
  });

  it('shows each setup step under its phase with the seed\'s reason, the script as typed (its here-documents copyable)', () => {
    const text = formatPlan(plan('wordpress'));
    for (const phase of ['appServices', 'appWeb', 'app'] as const) expect(text).toContain(`== ${PHASES[phase]}`);
    expect(text).toMatch(/\[rs1\] rm -f \/etc\/nginx\/sites-enabled\/default\ncat > \/etc\/nginx\/conf.d\/wordpress.conf/);
    expect(text).toMatch(/\n {4}\}\n\}\nEOF\n/);
    expect(text).toMatch(/why: 二\. 安装mysql/);
    for (const s of execs(steps)) expect(s.why.trim().length, s.command).toBeGreaterThan(0);
  });

  it('starts and stops nginx, not httpd, on its real servers; rs stop takes rs1 out like lvs-rs.sh stop', () => {
    const s = builtinScenario('wordpress');
    expect(webControl(s, 'rs1', 'stop')).toEqual(['systemctl', 'stop', 'nginx']);
    const none = validateScenario({ ...structuredClone(s), nodes: s.nodes.map((n) => (n.name === 'rs1' ? { ...n, init: 'none', privilege: 'capabilities' } : n)) }, 'test');
    expect(webControl(none, 'rs1', 'start')).toEqual(['nginx']);
    expect(webControl(none, 'rs1', 'stop')).toEqual(['nginx', '-s', 'stop']);
    expect(realServerRolePlan(s, 'rs1', 'stop').steps.map((x) => x.command)).toEqual([
      'ipvsadm -d -t 172.16.0.40:80 -r 172.16.0.32', 'ip addr del 172.16.0.40/32 dev lo',
      'sysctl -w net.ipv4.conf.all.arp_ignore=0 net.ipv4.conf.all.arp_announce=0 net.ipv4.conf.lo.arp_ignore=0 net.ipv4.conf.lo.arp_announce=0',
    ]);
  });
});

describe('seed 004: lvs_dr.sh\'s shape with nginx real servers', () => {
  const steps = execs(plan('nginx-dr').steps);
  it('puts the VIP as /32 on eth0:2 with a host route, clears the table first, then wrr 1:1', () => {
    const director = steps.filter((s) => s.node === 'lvs' && s.phase === 'director').map((s) => s.command);
    expect(director).toEqual([
      'ip addr add 192.168.188.120/32 dev eth0 label eth0:2', 'route add -host 192.168.188.120 dev eth0:2', 'sysctl -w net.ipv4.ip_forward=1',
      'ipvsadm -C', 'ipvsadm -A -t 192.168.188.120:80 -s wrr', 'ipvsadm -a -t 192.168.188.120:80 -r 192.168.188.107 -g',
      'ipvsadm -a -t 192.168.188.120:80 -r 192.168.188.110 -g', 'sysctl -w net.ipv4.vs.conn_reuse_mode=3',
    ]);
    expect(steps.filter((s) => s.node === 'cenvm71').map((s) => s.command).at(-1)).toBe('systemctl start nginx');
  });
});

describe('the schema\'s new fields', () => {
  const base = () => builtinScenario('wordpress') as unknown as Record<string, unknown> & { setup: Array<Record<string, unknown>>; nodes: Array<Record<string, unknown>> };
  it('refuses a setup step on a node that does not exist, a bad phase and a web server lab cannot start', () => {
    const s = base();
    s.setup[0]!.nodes = ['nope'];
    s.setup[1]!.phase = 'later';
    s.nodes[1]!.webServer = 'lighttpd';
    let details: string[] = [];
    try {
      validateScenario(s, 'test.yaml');
    } catch (err) {
      details = (err as { details: string[] }).details;
    }
    expect(details).toEqual(expect.arrayContaining([
      'setup[0].nodes[0]: no node named "nope"', expect.stringMatching(/^setup\[1\]\.phase: /), expect.stringMatching(/^nodes\[1\]\.webServer: /),
    ]));
  });
  it('keeps every other scenario as it was: httpd, no setup, the page at /', () => {
    const s = builtinScenario('rr-basic');
    expect(s.setup).toEqual([]);
    expect(s.service.pagePath).toBe('/');
    expect(webControl(s, 'rs1', 'start')).toEqual(['systemctl', 'start', 'httpd']);
  });
});
