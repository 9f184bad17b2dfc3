import { createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import { ExitCode, LabError } from '../../src/errors.js';
import { DockerRuntime, engineTimeoutMs } from '../../src/runtime/docker.js';

// Every Engine API call goes through the runtime's guard: a socket that accepts and never answers (a frozen
// dockerd) and one nobody listens on (a stopped one) must both be a LabError with exit 3, not a hang or a
// raw connection error.
const dir = mkdtempSync(join(tmpdir(), 'lab-engine-guard-'));
const frozenSocket = join(dir, 'frozen.sock');
const held: Socket[] = [];
const silent: Server = createServer((socket) => void held.push(socket)); // accepts, answers nothing
await new Promise<void>((resolve) => silent.listen(frozenSocket, resolve));
afterAll(async () => {
  held.forEach((s) => s.destroy());
  await new Promise<void>((resolve) => silent.close(() => resolve()));
});

const caught = (p: Promise<unknown>) => p.then(() => undefined, (err: unknown) => err);

describe('the Engine API guard', () => {
  it('a frozen engine: the call ends with exit 3 naming the call and the time limit', async () => {
    const runtime = new DockerRuntime(new Docker({ socketPath: frozenSocket }), 300);
    const err = await caught(runtime.listNetworks([{ key: 'io.lvs-lab.lab' }]));
    expect(err).toBeInstanceOf(LabError);
    expect(err).toMatchObject({ exitCode: ExitCode.environment, message: expect.stringMatching(/did not answer within 0\.3 s \(GET \/networks\)/), hint: expect.stringContaining('LVS_LAB_ENGINE_TIMEOUT') });
  });

  it('containers removed at once share the engine: each may take the time of all (teardown removes every node so)', async () => {
    const runtime = new DockerRuntime(new Docker({ socketPath: frozenSocket }), 300);
    const errs = await Promise.all(['a', 'b', 'c'].map((id) => caught(runtime.removeContainer(id))));
    expect(errs.map((e) => (e as Error).message)).toEqual(['a', 'b', 'c'].map((id) => expect.stringContaining(`within 0.9 s (DELETE /containers/${id})`)));
    const alone = await caught(runtime.removeContainer('d'));
    expect((alone as Error).message).toContain('within 0.3 s (DELETE /containers/d)');
  });

  it('an engine that is gone: exit 3 "No Docker engine answers", with the fix', async () => {
    const runtime = new DockerRuntime(new Docker({ socketPath: join(dir, 'nobody.sock') }), 300);
    const err = await caught(runtime.imageExists('lvs-lab/debian:bookworm'));
    expect(err).toMatchObject({ exitCode: ExitCode.environment, message: expect.stringMatching(/^No Docker engine answers at .* \(.*; ENOENT\)\.$/), hint: expect.stringContaining('Start Docker') });
  });

  it('after refuseCreates, a create fails with the given error and never reaches the engine', async () => {
    const runtime = new DockerRuntime(new Docker({ socketPath: join(dir, 'nobody.sock') }), 300);
    const refusal = new LabError('Interrupted by SIGINT.', { exitCode: ExitCode.interrupted });
    await runtime.refuseCreates(refusal);
    expect(await caught(runtime.createNetwork({ name: 'x', subnet: '10.9.0.0/24', internal: true, labels: {} }))).toBe(refusal);
  });

  it('LVS_LAB_ENGINE_TIMEOUT sets the limit in seconds; default 30 s, nonsense ignored', () => {
    expect(engineTimeoutMs({})).toBe(30_000);
    expect(engineTimeoutMs({ LVS_LAB_ENGINE_TIMEOUT: '5' })).toBe(5_000);
    expect(engineTimeoutMs({ LVS_LAB_ENGINE_TIMEOUT: 'soon' })).toBe(30_000);
    expect(engineTimeoutMs({ LVS_LAB_ENGINE_TIMEOUT: '-1' })).toBe(30_000);
  });
});
