import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { environmentError } from '../errors.js';
import { hostKeyVerifier } from './known-hosts.js';

/**
 * Which Docker engine lab talks to, decided once, in the docker CLI's order: DOCKER_HOST, else the context
 * DOCKER_CONTEXT names, else config.json's currentContext, else the default socket. Every command connects
 * through it and every message about the engine names it the same way.
 */
export interface Engine {
  /** The endpoint, as the docker CLI writes it: unix:///var/run/docker.sock, ssh://me@host, tcp://host:2375. */
  host: string;
  /** Where the choice came from, for people: "from DOCKER_HOST", "from context lab (DOCKER_CONTEXT)". */
  source: string;
  /** A unix socket on this machine: the engine shares this machine's routes, addresses and files. */
  local: boolean;
  /** Reached over ssh: each call runs `docker system dial-stdio` as the remote user. */
  ssh: boolean;
}

export const DEFAULT_SOCKET = '/var/run/docker.sock';

/** "engine ssh://lab@127.0.0.1:2222 (from DOCKER_HOST)": how messages and `lab doctor` name it. */
export const describeEngine = (engine: Engine) => `engine ${engine.host} (${engine.source})`;

export function resolveEngine(env: NodeJS.ProcessEnv = process.env): Engine {
  if (env.DOCKER_HOST) return endpoint(env.DOCKER_HOST, 'from DOCKER_HOST');
  const configDir = env.DOCKER_CONFIG ?? join(env.HOME ?? homedir(), '.docker');
  const named = env.DOCKER_CONTEXT
    ? { name: env.DOCKER_CONTEXT, why: 'DOCKER_CONTEXT' }
    : { name: currentContext(configDir), why: `currentContext in ${join(configDir, 'config.json')}` };
  if (named.name && named.name !== 'default') {
    return endpoint(contextHost(configDir, named.name, named.why), `from context ${named.name} (${named.why})`);
  }
  // Docker Desktop's per-user socket, as dockerode looks for it too.
  const desktop = join(env.HOME ?? homedir(), '.docker', 'run', 'docker.sock');
  const socket = existsSync(desktop) ? desktop : DEFAULT_SOCKET;
  return endpoint(`unix://${socket}`, 'by default: DOCKER_HOST unset, no Docker context');
}

function endpoint(host: string, source: string): Engine {
  const scheme = /^([a-z]+):\/\//.exec(host)?.[1] ?? 'tcp';
  return { host, source, local: scheme === 'unix', ssh: scheme === 'ssh' };
}

function currentContext(configDir: string): string | undefined {
  const file = join(configDir, 'config.json');
  if (!existsSync(file)) return undefined;
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { currentContext?: string }).currentContext;
  } catch (err) {
    throw environmentError(`Cannot read ${file}: ${(err as Error).message}.`,
      'Fix or remove that file (the docker CLI reads it too), or set DOCKER_HOST.');
  }
}

/** A context is stored under its name's sha256: contexts/meta/<sha256>/meta.json, Endpoints.docker.Host. */
function contextHost(configDir: string, name: string, why: string): string {
  const meta = join(configDir, 'contexts', 'meta', createHash('sha256').update(name).digest('hex'), 'meta.json');
  let host: string | undefined;
  try {
    host = (JSON.parse(readFileSync(meta, 'utf8')) as { Endpoints?: { docker?: { Host?: string } } })
      .Endpoints?.docker?.Host;
  } catch {
    host = undefined;
  }
  if (!host) {
    throw environmentError(`Docker context ${name} (${why}) does not exist or has no Docker endpoint (${meta}).`,
      'List the contexts with `docker context ls`; pick one with `docker context use NAME`, or set DOCKER_HOST.');
  }
  return host;
}

/** What dockerode is given to reach the engine; ssh's key comes from sshAuth. */
export function dockerOptions(engine: Engine, timeoutMs: number, env: NodeJS.ProcessEnv = process.env): Docker.DockerOptions {
  if (engine.local) return { socketPath: engine.host.slice('unix://'.length) || DEFAULT_SOCKET };
  let url: URL;
  try {
    url = new URL(engine.host.includes('://') ? engine.host : `tcp://${engine.host}`);
  } catch {
    throw environmentError(`The Docker endpoint ${engine.host} (${engine.source}) is not a URL.`,
      'Write it the way the docker CLI takes it: unix:///var/run/docker.sock, tcp://HOST:2375 or ssh://USER@HOST[:PORT].');
  }
  const port = url.port || undefined;
  // tcp://: dockerode adds TLS itself from DOCKER_TLS_VERIFY and DOCKER_CERT_PATH (or port 2376).
  if (!engine.ssh) return { host: url.hostname, ...(port ? { port } : {}) };
  const sshPort = Number(port ?? 22);
  return {
    protocol: 'ssh',
    host: url.hostname,
    port: sshPort,
    username: decodeURIComponent(url.username) || userInfo().username,
    // Like ssh, trust only a host key known_hosts records (ssh2 alone would take any).
    sshOptions: { ...sshAuth(env), readyTimeout: timeoutMs, hostVerifier: hostKeyVerifier(url.hostname, sshPort, env) },
  } as Docker.DockerOptions;
}

const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

/**
 * How lab logs in over ssh (dockerode reads neither ~/.ssh/config nor key files itself): the agent at
 * SSH_AUTH_SOCK if there is one, and the key LVS_LAB_SSH_KEY names, else the first default key
 * (~/.ssh/id_ed25519, id_ecdsa, id_rsa) that has no passphrase (one with a passphrase belongs in the agent).
 */
export function sshAuth(env: NodeJS.ProcessEnv): { agent?: string; privateKey?: Buffer } {
  const agent = env.SSH_AUTH_SOCK ? { agent: env.SSH_AUTH_SOCK } : {};
  if (env.LVS_LAB_SSH_KEY) {
    let key: Buffer;
    try {
      key = readFileSync(env.LVS_LAB_SSH_KEY);
    } catch (err) {
      throw environmentError(`Cannot read the ssh key LVS_LAB_SSH_KEY=${env.LVS_LAB_SSH_KEY}: ${(err as Error).message}.`,
        'Point LVS_LAB_SSH_KEY at a private key file you can read, or unset it to use ssh-agent.');
    }
    if (keyHasPassphrase(key)) {
      throw environmentError(`The ssh key ${env.LVS_LAB_SSH_KEY} (LVS_LAB_SSH_KEY) has a passphrase.`,
        'Add it to ssh-agent instead (`ssh-add KEY`, with SSH_AUTH_SOCK set) and unset LVS_LAB_SSH_KEY.');
    }
    return { ...agent, privateKey: key };
  }
  const sshDir = join(env.HOME ?? homedir(), '.ssh');
  for (const name of DEFAULT_KEYS) {
    const file = join(sshDir, name);
    const key = existsSync(file) ? readKey(file) : undefined;
    if (key && !keyHasPassphrase(key)) return { ...agent, privateKey: key };
  }
  return agent;
}

function readKey(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/**
 * A key ssh2 could only open with its passphrase: PEM says so in a header; an OpenSSH key names its cipher
 * ("none" when it has no passphrase) after the magic string.
 */
export function keyHasPassphrase(key: Buffer): boolean {
  const text = key.toString('utf8');
  if (/ENCRYPTED/.test(text)) return true;
  const body = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END/.exec(text)?.[1];
  if (!body) return false;
  const raw = Buffer.from(body.replace(/\s+/g, ''), 'base64');
  const magic = 'openssh-key-v1\0'.length;
  const cipherLength = raw.readUInt32BE(magic);
  return raw.subarray(magic + 4, magic + 4 + cipherLength).toString() !== 'none';
}
