// Proves the User-Mode Linux harness on the real UML kernel: IPVS, the host's node, exit codes, dockerd,
// per-command and whole-run timeouts, and that no UML process outlives a run.
// Not skipped when UML is missing: a skipped check must never look like a pass, so it fails with the reason.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findUmlProcesses, REPO_ROOT, runInUml, UmlError, umlAvailable } from './harness.js';

function requireUml(): void {
  const a = umlAvailable();
  if (!a.ok) throw new Error(a.reason);
}

describe('UML harness (real kernel with IPVS and dockerd)', () => {
  it('runs commands in order, reports exit codes and output, dockerd answers', async () => {
    requireUml();
    const lines: string[] = [];
    let runId = '';
    let processesDuringRun = 0;
    const run = await runInUml({
      memory: '1G',
      timeoutSeconds: 300,
      onLine: (l) => {
        lines.push(l);
        process.stdout.write(`[uml] ${l}\n`);
        const m = /^UML-INIT: kernel \S+ up .* run=(\S+)/.exec(l);
        if (m) {
          runId = m[1]!;
          processesDuringRun = findUmlProcesses(runId).length;
        }
      },
      commands: [
        { name: 'ipvsadm', argv: ['ipvsadm', '-Ln'] },
        { name: 'node', argv: [process.execPath, '-e', 'console.log(process.version)'] },
        { name: 'exit7', argv: ['sh', '-c', 'echo before-exit; echo to-stderr >&2; exit 7'] },
        { name: 'docker-version', argv: ['curl', '-s', '--unix-socket', '/var/run/docker.sock', 'http://d/version'] },
        {
          name: 'env',
          argv: ['sh', '-c', 'pwd; echo "FOO=$FOO"; echo "DOCKER_HOST=${DOCKER_HOST-unset}"; echo "HOME=$HOME"; echo "PATH=$PATH"'],
          env: { FOO: "a b 'c' $d" },
        },
        { name: 'cmd-timeout', argv: ['sleep', '60'], timeoutSeconds: 2 },
        { name: 'last', argv: ['echo', 'still running'] },
        { name: 'fail-and-stop', argv: ['false'], stopOnFailure: true },
        { name: 'skipped', argv: ['echo', 'never printed'] },
      ],
    });
    const byName = Object.fromEntries(run.results.map((r) => [r.name, r]));
    console.log(
      `UML timings: boot ${run.bootSeconds}s, dockerd ready at ${run.dockerReadySeconds}s (guest uptime), ` +
        `whole run ${run.totalSeconds}s (host); per command: ` +
        run.results.map((r) => `${r.name}=${r.seconds}s`).join(' '),
    );

    expect(run.results.map((r) => r.name)).toEqual([
      'ipvsadm', 'node', 'exit7', 'docker-version', 'env', 'cmd-timeout', 'last', 'fail-and-stop', 'skipped',
    ]);
    expect(run.modulesFailed).toEqual([]);
    expect(processesDuringRun).toBeGreaterThan(0);
    expect(run.runId).toBe(runId);

    expect(byName.ipvsadm!.exitCode).toBe(0);
    expect(byName.ipvsadm!.stdout).toContain('IP Virtual Server version');

    expect(byName.node!.exitCode).toBe(0);
    expect(byName.node!.stdout.trim()).toBe(process.version);

    expect(byName.exit7!.exitCode).toBe(7);
    expect(byName.exit7!.stdout).toBe('before-exit\n');
    expect(byName.exit7!.stderr).toBe('to-stderr\n');

    // ran after the failing command
    expect(byName['docker-version']!.exitCode).toBe(0);
    const version = JSON.parse(byName['docker-version']!.stdout) as { ApiVersion?: string; KernelVersion?: string };
    expect(version.ApiVersion).toMatch(/^1\.\d+$/);
    expect(fs.readdirSync('/usr/lib/uml/modules')).toContain(version.KernelVersion); // the UML kernel, not the host's
    expect(run.dockerReadySeconds).toBeGreaterThan(0);

    expect(byName.env!.stdout.split('\n')).toEqual([
      REPO_ROOT,
      "FOO=a b 'c' $d",
      'DOCKER_HOST=unset',
      'HOME=/root',
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      '',
    ]);

    expect(byName['cmd-timeout']!.exitCode).toBe(124);
    expect(byName['cmd-timeout']!.timedOut).toBe(true);
    expect(byName['cmd-timeout']!.seconds).toBeLessThan(10);

    expect(byName.last!.exitCode).toBe(0);
    expect(byName.last!.stdout).toBe('still running\n');
    expect(byName['fail-and-stop']!).toMatchObject({ exitCode: 1, skipped: false });
    expect(byName.skipped!).toMatchObject({ exitCode: -1, skipped: true, stdout: '' });

    // the commands' output reached the console live, prefixed with their names
    expect(lines).toContain('[ipvsadm] IP Virtual Server version 1.2.1 (size=4096)');
    expect(lines).toContain('[exit7!] to-stderr');
    expect(lines).toContain('[last] still running');

    expect(findUmlProcesses(run.runId)).toEqual([]);
  }, 300_000);

  it('kills UML with its whole process group when the run times out', async () => {
    requireUml();
    let runId = '';
    let processesDuringRun = 0;
    const t0 = performance.now();
    let err: unknown;
    try {
      await runInUml({
        memory: '1G',
        timeoutSeconds: 40,
        commands: [{ name: 'forever', argv: ['sleep', '600'] }],
        onLine: (l) => {
          process.stdout.write(`[uml] ${l}\n`);
          const m = /^UML-INIT: kernel \S+ up .* run=(\S+)/.exec(l);
          if (m) runId = m[1]!;
          if (/^UML-INIT: dockerd ready/.test(l)) processesDuringRun = findUmlProcesses(runId).length;
        },
      });
    } catch (e) {
      err = e;
    }
    const seconds = (performance.now() - t0) / 1000;
    console.log(`timeout run ended after ${seconds.toFixed(1)}s; ${processesDuringRun} host processes of that run were seen while it ran`);

    expect(err).toBeInstanceOf(UmlError);
    const u = err as UmlError;
    expect(u.kind).toBe('timeout');
    expect(u.message).toContain('timed out after 40s');
    expect(u.runId).toBe(runId);
    expect(u.console).toContain('UML-INIT: dockerd ready');
    expect(u.partialResults).toEqual([
      { name: 'forever', exitCode: -1, stdout: '', stderr: '', seconds: 0, timedOut: false, skipped: false },
    ]);
    expect(processesDuringRun).toBeGreaterThan(1);
    expect(seconds).toBeGreaterThanOrEqual(40);
    expect(seconds).toBeLessThan(60);

    // nothing of that run is left: no process with its marker or work dir on the command line, no work dir
    expect(findUmlProcesses(u.runId)).toEqual([]);
    expect(findUmlProcesses(u.workDir)).toEqual([]);
    expect(fs.existsSync(u.workDir)).toBe(false);
  }, 300_000);
});
