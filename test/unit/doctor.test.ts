import { describe, expect, it } from 'vitest';
import {
  cgroupCheck,
  compareVersions,
  doctorFailure,
  doctorOk,
  dockerCheck,
  dockerUnreachableCheck,
  imageCheck,
  ipvsCheck,
  ipvsProbeCommand,
  namesCheck,
  privilegedCheck,
  subnetCheck,
  vipCheck,
  type DoctorCheck,
} from '../../src/doctor/checks.js';
import { parseProcNetRoute } from '../../src/doctor/routes.js';
import { doctorJson, formatDoctorReport, formatDoctorTable, formatVerdict } from '../../src/doctor/report.js';
import { wrap } from '../../src/text/wrap.js';
import { environmentError, ExitCode } from '../../src/errors.js';
import { LABEL, labLabels } from '../../src/labels.js';
import { resolveEngine } from '../../src/runtime/engine.js';
import { applyOverrides } from '../../src/scenario/model.js';
import { builtinScenario } from '../helpers/builtin.js';

const rr = () => builtinScenario('rr-basic');
const NO_IPVS = "modprobe: FATAL: Module ip_vs not found in directory /lib/modules/6.1.0\nCan't initialize ipvs: Protocol not available\nAre you sure that IP Virtual Server is built in the kernel or as module?\n";
const REFUSED = 'failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: unable to apply caps: operation not permitted: unknown';

/** What `lab doctor rr-basic` finds on this project's sandbox host. */
function sandboxChecks(): DoctorCheck[] {
  const s = rr();
  return [
    dockerCheck({ version: '20.10.24', apiVersion: '1.41' }, resolveEngine({ DOCKER_HOST: 'unix:///var/run/docker.sock' })),
    imageCheck(s, { 'lvs-lab/debian:bookworm': true }),
    cgroupCheck(s, { CgroupVersion: '1', CgroupDriver: 'cgroupfs' }, '1.41'),
    ipvsCheck(s, { kind: 'exited', exitCode: 10, output: NO_IPVS }, 'lvs-lab/debian:bookworm'),
    privilegedCheck(s, { kind: 'error', message: REFUSED }),
    subnetCheck(s, [{ name: 'bridge', subnets: ['172.17.0.0/16'], labels: {} }], []),
    vipCheck(s, [], []),
    namesCheck(s, [], []),
  ];
}

describe('doctor checks (pure)', () => {
  it('no IPVS: fail with the modprobe line for the scenario\'s scheduler (and ipip for TUN)', () => {
    const c = ipvsCheck(rr(), { kind: 'exited', exitCode: 10, output: NO_IPVS }, 'img');
    expect(c).toMatchObject({ id: 'ipvs', status: 'fail' });
    expect(c.detail).toContain('Protocol not available');
    expect(c.fix).toContain('`sudo modprobe ip_vs ip_vs_rr`');
    const tun = builtinScenario('tun');
    expect(ipvsCheck(tun, { kind: 'exited', exitCode: 10, output: NO_IPVS }, 'img').fix).toContain(`sudo modprobe ip_vs ip_vs_${tun.service.scheduler} ipip`);
    const wrr = builtinScenario('wrr');
    expect(ipvsCheck(wrr, { kind: 'exited', exitCode: 11, output: 'Scheduler not found\n' }, 'img')).toMatchObject({ status: 'fail', fix: expect.stringContaining('sudo modprobe ip_vs_wrr') });
    expect(ipvsCheck(tun, { kind: 'exited', exitCode: 12, output: '' }, 'img')).toMatchObject({ status: 'fail', fix: expect.stringContaining('sudo modprobe ipip') });
    expect(ipvsCheck(rr(), { kind: 'exited', exitCode: 0, output: '' }, 'img')).toMatchObject({ status: 'pass', fix: null });
    expect(ipvsCheck(rr(), { kind: 'skipped', reason: 'image img is missing' }, 'img')).toMatchObject({ status: 'skip', fix: null });
  });

  it('the IPVS probe lists, then adds the scenario\'s own service with its scheduler', () => {
    expect(ipvsProbeCommand(rr())).toEqual(['sh', '-c', expect.stringContaining('ipvsadm -Ln'), 'ipvs-probe', '172.20.1.100:80', 'rr']);
    expect(ipvsProbeCommand(rr())[2]).toContain('ipvsadm -A -t "$1" -s "$2"');
    expect(ipvsProbeCommand(builtinScenario('tun'))[2]).toContain('/sys/class/net/tunl0');
  });

  it('privileged refused: fail when a node asks for it, warn when none does', () => {
    const needed = privilegedCheck(rr(), { kind: 'error', message: REFUSED });
    expect(needed).toMatchObject({ status: 'fail' });
    expect(needed.detail).toContain('refuses privileged containers (unable to apply caps: operation not permitted); nodes lvs, rs1, rs2 need them');
    expect(needed.fix).toMatch(/^Run with `--privilege capabilities`/);
    expect(needed.fix).toContain('`--privilege minimal --init none`');
    const caps = applyOverrides(rr(), { privilege: 'capabilities' });
    expect(privilegedCheck(caps, { kind: 'error', message: REFUSED })).toMatchObject({ status: 'warn', fix: expect.stringContaining('--privilege capabilities') });
    expect(privilegedCheck(rr(), { kind: 'exited', exitCode: 0, output: '' })).toMatchObject({ status: 'pass' });
    expect(privilegedCheck(rr(), { kind: 'error', message: 'no space left on device' })).toMatchObject({ status: 'warn' });
  });

  it('cgroup: centos7 systemd on cgroup v2 warns; Debian or --init none passes', () => {
    const centos = applyOverrides(rr(), { image: 'lvs-lab/centos7' });
    expect(cgroupCheck(centos, { CgroupVersion: '2', CgroupDriver: 'systemd' }, '1.43')).toMatchObject({ status: 'warn', fix: expect.stringContaining('--init none') });
    expect(cgroupCheck(centos, { CgroupVersion: '1', CgroupDriver: 'cgroupfs' }, '1.43')).toMatchObject({ status: 'pass', detail: expect.stringContaining('cgroup v1, driver cgroupfs') });
    expect(cgroupCheck(rr(), { CgroupVersion: '2', CgroupDriver: 'systemd' }, '1.43')).toMatchObject({ status: 'pass' });
    expect(cgroupCheck(applyOverrides(centos, { init: 'none' }), { CgroupVersion: '2' }, '1.43')).toMatchObject({ status: 'pass', detail: expect.stringContaining('no node boots systemd') });
    expect(cgroupCheck(rr(), { CgroupVersion: '1' }, '1.40')).toMatchObject({ status: 'warn' });
    expect(compareVersions('1.41', '1.41')).toBe(0);
    expect(compareVersions('1.9', '1.41')).toBe(-1);
    expect(compareVersions('1.100', '1.41')).toBe(1);
  });

  it('images: the default one missing warns (`lab up` builds it) with `lab images build --offline`; any other fails', () => {
    expect(imageCheck(rr(), {})).toMatchObject({ status: 'warn', fix: expect.stringContaining('`lab images build --offline`') });
    const centos = imageCheck(applyOverrides(rr(), { image: 'lvs-lab/centos7' }), {});
    expect(centos).toMatchObject({ status: 'fail', detail: 'Image lvs-lab/centos7 not in this Docker engine' });
    expect(centos.fix).toContain('images/centos7');
    expect(imageCheck(rr(), { 'lvs-lab/debian:bookworm': true })).toMatchObject({ status: 'pass', fix: null });
  });

  it('subnets: another network overlapping fails by name; this lab\'s own does not; a host route warns', () => {
    const s = rr();
    const other = { name: 'old-net', subnets: ['172.20.5.0/24'], labels: {} };
    const ours = { name: 'lvs_dr', subnets: ['172.20.0.0/16'], labels: labLabels(s, 'builtin:rr-basic') };
    const v6 = { name: 'v6', subnets: ['fd00::/64'], labels: {} };
    expect(subnetCheck(s, [ours, v6], [])).toMatchObject({ status: 'pass' });
    const clash = subnetCheck(s, [ours, other], []);
    expect(clash).toMatchObject({ status: 'fail' });
    expect(clash.detail).toContain('overlaps Docker network old-net (172.20.5.0/24)');
    const routes = parseProcNetRoute(
      'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n' +
        'eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n' +
        'docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n' +
        'br-1234\t000014AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n' +
        'wg0\t000014AC\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n',
    );
    expect(routes).toEqual([
      { iface: 'docker0', destination: { network: '172.17.0.0', prefix: 16 } },
      { iface: 'br-1234', destination: { network: '172.20.0.0', prefix: 16 } },
      { iface: 'wg0', destination: { network: '172.20.0.0', prefix: 24 } },
    ]);
    const viaWg = subnetCheck(s, [], routes);
    expect(viaWg).toMatchObject({ status: 'warn' });
    expect(viaWg.detail).toContain('host route 172.20.0.0/24 dev wg0');
    expect(viaWg.detail).not.toContain('br-1234');
    expect(subnetCheck(s, [], undefined).detail).toContain('host routes not checked');
  });

  it('VIP: fails when a container has it, warns when this machine has it', () => {
    const s = rr();
    expect(vipCheck(s, [{ name: 'squatter', labels: {}, addresses: { other: '172.20.1.100' } }], [])).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('container squatter on other'),
    });
    expect(vipCheck(s, [], [{ iface: 'eth0', address: '172.20.1.100' }])).toMatchObject({ status: 'warn' });
    expect(vipCheck(s, [{ name: 'rs1', labels: {}, addresses: { lvs_dr: '172.20.1.10' } }], [])).toMatchObject({ status: 'pass' });
  });

  it('names: taken by something else fails, this lab already up warns', () => {
    const s = rr();
    const foreign = namesCheck(s, [{ name: 'rs1', labels: {}, addresses: {} }], [{ name: 'lvs_dr', subnets: [], labels: labLabels({ ...s, name: 'other' }, 'builtin:other') }]);
    expect(foreign).toMatchObject({ status: 'fail' });
    expect(foreign.detail).toContain('container rs1 (not made by lab), network lvs_dr (lab other)');
    // A look-alike carrying only the lab label is not this lab's.
    const lookalike = namesCheck(s, [{ name: 'lvs', labels: { [LABEL.lab]: 'rr-basic' }, addresses: {} }], []);
    expect(lookalike).toMatchObject({ status: 'fail', detail: expect.stringContaining('container lvs (not made by lab)') });
    const ours = labLabels(s, 'builtin:rr-basic');
    const up = namesCheck(s, [{ name: 'lvs', labels: ours, addresses: {} }], [{ name: 'lvs_dr', subnets: [], labels: ours }]);
    expect(up).toMatchObject({ status: 'warn', detail: 'Lab rr-basic is already up, or being brought up by another `lab up` (lvs, lvs_dr)', fix: expect.stringContaining('lab teardown rr-basic') });
    expect(namesCheck(s, [{ name: 'unrelated', labels: {}, addresses: {} }], [])).toMatchObject({ status: 'pass' });
  });

  it('docker: says which endpoint; an unreachable engine is one failing row with connect\'s message and fix', () => {
    const tcp = dockerCheck({ version: '27.0', apiVersion: '1.46' }, resolveEngine({ DOCKER_HOST: 'tcp://h:2375' }));
    expect(tcp.detail).toBe('Docker 27.0 (API 1.46), engine tcp://h:2375 (from DOCKER_HOST)');
    const row = dockerUnreachableCheck(environmentError('No Docker engine answers at unix:///nonexistent (ENOENT).', 'Start Docker.'));
    expect(row).toEqual({ id: 'docker', title: 'Docker engine', status: 'fail', detail: 'No Docker engine answers at unix:///nonexistent (ENOENT).', fix: 'Start Docker.' });
  });
});

describe('doctorFailure: what `lab up` stops with', () => {
  it('no failing check: nothing; warnings only stop up when named', () => {
    const s = rr();
    const green = [dockerCheck({ version: '27.0', apiVersion: '1.46' }, resolveEngine({ DOCKER_HOST: 'ssh://me@h' })), namesCheck(s, [], [])];
    expect(doctorFailure(green)).toBeUndefined();
    expect(doctorOk(green)).toBe(true);
    const ours = labLabels(s, 'builtin:rr-basic');
    const alreadyUp = [...green, namesCheck(s, [{ name: 'lvs', labels: ours, addresses: {} }], [])];
    expect(doctorFailure(alreadyUp)).toBeUndefined();
    const err = doctorFailure(alreadyUp, { failOnWarn: ['names'] });
    expect(err).toMatchObject({ exitCode: ExitCode.environment, message: 'Lab rr-basic is already up, or being brought up by another `lab up` (lvs).' });
    expect(err!.hint).toContain('lab teardown rr-basic');
  });

  it('one failure: its detail is the message and its fix the hint', () => {
    const err = doctorFailure([privilegedCheck(rr(), { kind: 'error', message: REFUSED })]);
    expect(err?.exitCode).toBe(3);
    expect(err?.message).toMatch(/^This Docker engine refuses privileged containers/);
    expect(err?.hint).toMatch(/^Run with `--privilege capabilities`/);
  });

  it('several: the message names them, details say what each found, the hint lists each fix', () => {
    const err = doctorFailure(sandboxChecks())!;
    expect(err.exitCode).toBe(ExitCode.environment);
    expect(err.message).toBe('2 checks failed: IPVS in the kernel, Privileged containers.');
    expect(err.details).toEqual([expect.stringMatching(/^IPVS in the kernel: The kernel under Docker has no IPVS/), expect.stringMatching(/^Privileged containers: This Docker engine refuses/)]);
    expect(err.hint).toContain('IPVS in the kernel: On the Docker host run `sudo modprobe ip_vs ip_vs_rr`');
    expect(err.hint).toContain('Privileged containers: Run with `--privilege capabilities`');
  });
});

describe('doctor report', () => {
  it('one table: check | status | detail | fix, the fix only for warn and fail', () => {
    const text = formatDoctorTable(sandboxChecks(), { width: 120 });
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^check\s+status\s+detail\s+fix$/);
    expect(lines.every((l) => l.length <= 120 || /`[^`]+`/.test(l))).toBe(true);
    const row = (title: string) => lines.find((l) => l.startsWith(title))!;
    expect(row('Docker engine')).toMatch(/^Docker engine\s+PASS\s+Docker 20\.10\.24/);
    expect(row('IPVS in the kernel')).toMatch(/^IPVS in the kernel\s+FAIL\s+The kernel under Docker has no IPVS/);
    expect(row('Privileged containers')).toMatch(/\s+FAIL\s+/);
    // A command in backticks is never broken across lines, so it can be copied.
    expect(text).toContain('`sudo modprobe ip_vs ip_vs_rr`');
    expect(text).toContain('`--privilege capabilities`');
    // Passing rows have no fix column.
    expect(row('Names free')).not.toMatch(/lab teardown/);
    // The status column lines up.
    const statusAt = lines[0]!.indexOf('status');
    for (const title of ['Docker engine', 'Lab images', 'IPVS in the kernel', 'Names free']) expect(row(title).slice(statusAt, statusAt + 4)).toMatch(/PASS|FAIL|WARN|SKIP/);
  });

  it('narrow terminals still get every word', () => {
    const lines = formatDoctorTable(sandboxChecks(), { width: 80 }).split('\n');
    const [detailAt, fixAt] = [lines[0]!.indexOf('detail'), lines[0]!.indexOf('fix')];
    // Each column read top to bottom gives back the cell's text.
    const column = (from: number, to: number | undefined) => lines.slice(2).map((l) => l.slice(from, to).trim()).filter(Boolean).join(' ');
    const details = column(detailAt, fixAt);
    const fixes = column(fixAt, undefined);
    // Long words in the detail column are cut to keep the columns aligned; nothing is lost.
    for (const c of sandboxChecks()) expect(details.replace(/ /g, '')).toContain(c.detail.replace(/ /g, ''));
    expect(details).toContain('Can\'t initialize ipvs: Protocol not available');
    expect(fixes).toContain(sandboxChecks()[3]!.fix);
    expect(fixes).toContain(sandboxChecks()[4]!.fix);
  });

  it('wrap keeps backticked commands whole', () => {
    expect(wrap('run `sudo modprobe ip_vs ip_vs_rr` now', 12, { keepCommands: true })).toEqual(['run', '`sudo modprobe ip_vs ip_vs_rr`', 'now']);
    expect(wrap('at unix:///var/run/docker.sock now', 10)).toEqual(['at', 'unix:///va', 'r/run/dock', 'er.sock', 'now']);
    expect(wrap('a b c', 3)).toEqual(['a b', 'c']);
    expect(wrap('', 10)).toEqual(['']);
  });

  it('verdict and JSON', () => {
    expect(formatVerdict(sandboxChecks(), 'rr-basic')).toBe(
      '2 checks failed (ipvs, privileged): `lab up rr-basic` would stop. Apply each fix, then run `lab doctor rr-basic` again.',
    );
    const green = sandboxChecks().map((c) => ({ ...c, status: 'pass' as const, fix: null }));
    expect(formatVerdict(green, 'rr-basic')).toBe('All 8 checks passed: `lab up rr-basic` can go ahead.');
    expect(formatVerdict([{ ...green[0]!, status: 'warn', fix: 'x' }], 'rr-basic')).toMatch(/^No check failed \(1 warning\)/);
    expect(formatDoctorReport(sandboxChecks(), 'rr-basic')).toContain('\n\n2 checks failed');
    const doc = doctorJson(sandboxChecks(), 'rr-basic', 0.53);
    expect(doc).toMatchObject({ ok: false, scenario: 'rr-basic', seconds: 0.5 });
    expect(doc.checks.map((c) => [c.id, c.status])).toEqual([
      ['docker', 'pass'],
      ['image', 'pass'],
      ['cgroup', 'pass'],
      ['ipvs', 'fail'],
      ['privileged', 'fail'],
      ['subnet', 'pass'],
      ['vip', 'pass'],
      ['names', 'pass'],
    ]);
    expect(Object.keys(doc.checks[0]!)).toEqual(['id', 'title', 'status', 'detail', 'fix']);
  });
});
