import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lab, REPO_ROOT } from '../helpers/cli.js';

// The built CLI as a user runs it; none of these need a Docker engine.
describe('lab CLI without Docker', () => {
  it('`lab up rr-basic --dry-run` prints the plan in the tutorial\'s order and touches nothing', async () => {
    const r = await lab(['up', 'rr-basic', '--dry-run'], { env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
    expect(r.exitCode).toBe(0);
    const order = [
      'docker network create --subnet=172.20.0.0/16 --internal lvs_dr',
      '[host] docker run -d --privileged=true --name=lvs',
      '[rs1] sysctl -w net.ipv4.conf.all.arp_ignore=1',
      '[rs1] ip addr add 172.20.1.100/32 dev lo label lo:1',
      "[rs1] printf '%s\\n' 'from rs1 server...' > /var/www/html/index.html",
      '[rs1] systemctl start httpd',
      '[lvs] ip addr add 172.20.1.100/16 dev eth0 label eth0:1',
      '[lvs] sysctl -w net.ipv4.ip_forward=1',
      '[lvs] ipvsadm -A -t 172.20.1.100:80 -s rr',
      '[lvs] ipvsadm -a -t 172.20.1.100:80 -r 172.20.1.10 -g',
      '[lvs] ipvsadm -a -t 172.20.1.100:80 -r 172.20.1.11 -g',
      '[lvs] sysctl -w net.ipv4.vs.conn_reuse_mode=3',
    ];
    const positions = order.map((line) => r.stdout.indexOf(line));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it('`--dry-run --json` gives the plan as data', async () => {
    const r = await lab(['up', 'rr-basic', '--dry-run', '--json']);
    expect(r.exitCode).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(plan.lab).toBe('rr-basic');
    expect(plan.steps.at(-1)).toMatchObject({ node: 'lvs', command: 'sysctl -w net.ipv4.vs.conn_reuse_mode=3' });
  });

  it('a bad scenario file gets every issue with its path and exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lab-cli-'));
    const file = join(dir, 'bad.yaml');
    const text = readFileSync(join(REPO_ROOT, 'scenarios/rr-basic.yaml'), 'utf8')
      .replace('address: 172.20.1.11', 'address: 10.1.1.11')
      .replace('scheduler: rr ', 'scheduler: fastest ');
    writeFileSync(file, text);
    const r = await lab(['up', file, '--dry-run']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`error: ${file} is not a valid scenario (2 problems).`);
    expect(r.stderr).toContain('nodes[2].address: not inside 172.20.0.0/16');
    expect(r.stderr).toMatch(/service\.scheduler: .*"rr"/);
    expect(r.stderr).toContain('fix: ');
  });

  it('a missing Docker engine is exit 3 with the fix', async () => {
    const r = await lab(['status'], { env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain('error: No Docker engine answers at unix:///nonexistent/docker.sock');
    expect(r.stderr).toContain('fix: Start Docker');
    const up = await lab(['up', 'rr-basic', '--json'], { env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
    expect(up.exitCode).toBe(3);
    expect(JSON.parse(up.stdout).error.hint).toMatch(/DOCKER_HOST/);
  });

  // One test per run: a CLI run takes 5-8 s on a one-CPU guest.
  it.each([
    [['up', 'rr-basic', '--requests', 'many', '--dry-run'], /requests: expected a whole number from 2 to 500/],
    [['up', 'rr-basic', '--privilege', 'root', '--dry-run'], /privilege: .*"privileged"/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['up', 'no-such-scenario', '--dry-run'], /Built-in scenarios: .*rr-basic/],
    [['teardown'], /Say which lab to remove/],
  ])('bad options are usage errors (exit 2): lab %j', async (args, said) => {
    const r = await lab(args);
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr).toMatch(said);
  });

  it('`lab list` names each scenario\'s seed', async () => {
    const r = await lab(['list', '--json']);
    expect(JSON.parse(r.stdout).scenarios).toContainEqual(expect.objectContaining({ name: 'rr-basic', seed: '000_b1166a4f114715ee.txt' }));
  });
});
