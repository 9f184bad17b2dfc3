import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { describeEngine, dockerOptions, keyHasPassphrase, resolveEngine, sshAuth } from '../../src/runtime/engine.js';

// Which engine lab talks to, from real files laid out as the docker CLI writes them (config.json, contexts).
const home = mkdtempSync(join(tmpdir(), 'lab-engine-'));
const config = join(home, '.docker');
afterAll(() => rmSync(home, { recursive: true, force: true }));

function writeContext(dir: string, name: string, host: string): void {
  const meta = join(dir, 'contexts', 'meta', createHash('sha256').update(name).digest('hex'));
  mkdirSync(meta, { recursive: true });
  writeFileSync(join(meta, 'meta.json'), JSON.stringify({ Name: name, Metadata: {}, Endpoints: { docker: { Host: host, SkipTLSVerify: false } } }));
}
writeContext(config, 'far', 'ssh://lab@10.1.2.3:2222');
writeContext(config, 'near', 'unix:///run/user/1000/docker.sock');

const caught = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    return err;
  }
  return undefined;
};

describe('resolveEngine: the docker CLI\'s order', () => {
  it('nothing set: the default socket, local', () => {
    const engine = resolveEngine({ HOME: home });
    expect(engine).toMatchObject({ host: 'unix:///var/run/docker.sock', local: true, ssh: false });
    expect(describeEngine(engine)).toBe('engine unix:///var/run/docker.sock (by default: DOCKER_HOST unset, no Docker context)');
  });

  it('config.json currentContext, then DOCKER_CONTEXT over it, then DOCKER_HOST over both', () => {
    writeFileSync(join(config, 'config.json'), JSON.stringify({ currentContext: 'near' }));
    expect(resolveEngine({ HOME: home })).toMatchObject({ host: 'unix:///run/user/1000/docker.sock', local: true, source: `from context near (currentContext in ${join(config, 'config.json')})` });
    expect(resolveEngine({ HOME: home, DOCKER_CONTEXT: 'far' })).toMatchObject({ host: 'ssh://lab@10.1.2.3:2222', local: false, ssh: true, source: 'from context far (DOCKER_CONTEXT)' });
    expect(resolveEngine({ HOME: home, DOCKER_CONTEXT: 'far', DOCKER_HOST: 'tcp://h:2375' })).toMatchObject({ host: 'tcp://h:2375', local: false, ssh: false, source: 'from DOCKER_HOST' });
    expect(resolveEngine({ HOME: home, DOCKER_CONTEXT: 'default' }).host).toBe('unix:///var/run/docker.sock');
    rmSync(join(config, 'config.json'));
  });

  it('DOCKER_CONFIG moves the whole directory', () => {
    const other = join(home, 'elsewhere');
    writeContext(other, 'far', 'ssh://other@h');
    expect(resolveEngine({ HOME: home, DOCKER_CONFIG: other, DOCKER_CONTEXT: 'far' }).host).toBe('ssh://other@h');
  });

  it('a context that does not exist, or a config.json that is not JSON: exit 3 with a fix', () => {
    expect(caught(() => resolveEngine({ HOME: home, DOCKER_CONTEXT: 'nope' }))).toMatchObject({ exitCode: ExitCode.environment, message: expect.stringContaining('Docker context nope (DOCKER_CONTEXT) does not exist'), hint: expect.stringContaining('docker context ls') });
    writeFileSync(join(config, 'config.json'), '{ not json');
    expect(caught(() => resolveEngine({ HOME: home }))).toMatchObject({ exitCode: ExitCode.environment, hint: expect.stringContaining('DOCKER_HOST') });
    rmSync(join(config, 'config.json'));
  });
});

describe('dockerOptions and the ssh login', () => {
  const keys = join(home, 'keys');
  mkdirSync(keys);
  const keygen = (name: string, passphrase: string) => {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-f', join(keys, name)]);
    return join(keys, name);
  };
  const plain = keygen('plain', '');
  const locked = keygen('locked', 'secret');

  it('a socket, a tcp host, an ssh host with user, port and the engine timeout as the ssh handshake limit', () => {
    expect(dockerOptions(resolveEngine({ DOCKER_HOST: 'unix:///x.sock' }), 1000)).toEqual({ socketPath: '/x.sock' });
    expect(dockerOptions(resolveEngine({ DOCKER_HOST: 'tcp://h:2375' }), 1000)).toEqual({ host: 'h', port: '2375' });
    const ssh = dockerOptions(resolveEngine({ DOCKER_HOST: 'ssh://lab@127.0.0.1:2222' }), 5000, { HOME: home, LVS_LAB_SSH_KEY: plain });
    expect(ssh).toMatchObject({ protocol: 'ssh', host: '127.0.0.1', port: 2222, username: 'lab', sshOptions: { readyTimeout: 5000, privateKey: readFileSync(plain) } });
    expect(dockerOptions(resolveEngine({ DOCKER_HOST: 'ssh://lab@h' }), 1000, { HOME: home })).toMatchObject({ port: 22 });
  });

  it('the key: LVS_LAB_SSH_KEY, else a default key without a passphrase, plus the agent', () => {
    expect(keyHasPassphrase(readFileSync(plain))).toBe(false);
    expect(keyHasPassphrase(readFileSync(locked))).toBe(true);
    expect(sshAuth({ HOME: home })).toEqual({});
    expect(sshAuth({ HOME: home, SSH_AUTH_SOCK: '/a.sock' })).toEqual({ agent: '/a.sock' });
    mkdirSync(join(home, '.ssh'));
    writeFileSync(join(home, '.ssh', 'id_ed25519'), readFileSync(locked));
    expect(sshAuth({ HOME: home })).toEqual({}); // a key with a passphrase is the agent's to use
    writeFileSync(join(home, '.ssh', 'id_rsa'), readFileSync(plain));
    expect(sshAuth({ HOME: home, SSH_AUTH_SOCK: '/a.sock' })).toEqual({ agent: '/a.sock', privateKey: readFileSync(plain) });
    expect(caught(() => sshAuth({ HOME: home, LVS_LAB_SSH_KEY: locked }))).toMatchObject({ exitCode: ExitCode.environment, hint: expect.stringContaining('ssh-add') });
    expect(caught(() => sshAuth({ HOME: home, LVS_LAB_SSH_KEY: join(keys, 'missing') }))).toMatchObject({ exitCode: ExitCode.environment, hint: expect.stringContaining('LVS_LAB_SSH_KEY') });
  });
});
