import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { environmentError, type LabError } from '../errors.js';

/**
 * What ssh's known_hosts files say of a host's key, as `ssh` itself reads them: a line naming the host
 * (plain, `[host]:port`, a glob, or hashed `|1|salt|hash`) with this key is known; a line naming it with
 * another key means the key changed; `@revoked` with this key refuses it. `@cert-authority` lines are
 * certificates, which lab does not check: they never match.
 */
export type HostKeyVerdict = 'known' | 'unknown' | 'changed' | 'revoked';

export function hostKeyVerdict(lines: string[], host: string, port: number, key: Buffer): HostKeyVerdict {
  const name = port === 22 ? host : `[${host}]:${port}`;
  let verdict: HostKeyVerdict = 'unknown';
  for (const line of lines) {
    const fields = line.trim().split(/\s+/);
    if (fields[0] === '' || fields[0]!.startsWith('#')) continue;
    const marker = fields[0]!.startsWith('@') ? fields.shift() : undefined;
    const [hosts = '', , blob = ''] = fields;
    if (marker === '@cert-authority' || !namesHost(hosts, name)) continue;
    const same = Buffer.from(blob, 'base64').equals(key);
    if (marker === '@revoked') {
      if (same) return 'revoked';
    } else if (same) {
      verdict = 'known';
    } else if (verdict === 'unknown') {
      verdict = 'changed';
    }
  }
  return verdict;
}

/** Does a known_hosts host field name the host? A matching `!pattern` excludes it whatever else matches. */
function namesHost(field: string, name: string): boolean {
  if (field.startsWith('|1|')) return hashedNameMatches(field, name);
  let named = false;
  for (const pattern of field.split(',')) {
    const negated = pattern.startsWith('!');
    if (!globMatches(negated ? pattern.slice(1) : pattern, name)) continue;
    if (negated) return false;
    named = true;
  }
  return named;
}

/** `|1|salt|hash`: the host name's HMAC-SHA1 keyed with the salt (HashKnownHosts). */
function hashedNameMatches(field: string, name: string): boolean {
  const [, , salt = '', hash = ''] = field.split('|');
  return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
}

function globMatches(pattern: string, name: string): boolean {
  const regex = pattern.toLowerCase().replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${regex}$`).test(name.toLowerCase());
}

/** The files ssh reads: the user's, then the system's. */
export function knownHostsFiles(env: NodeJS.ProcessEnv): string[] {
  return [join(env.HOME ?? homedir(), '.ssh', 'known_hosts'), '/etc/ssh/ssh_known_hosts'];
}

function readLines(files: string[]): string[] {
  return files.flatMap((file) => {
    try {
      return readFileSync(file, 'utf8').split('\n');
    } catch {
      return [];
    }
  });
}

/** Host keys refused in this process, by `host:port`: the ssh error ("Host denied") says only that it was. */
const refusals = new Map<string, LabError>();

export const hostKeyRefusal = (host: string, port: number): LabError | undefined => refusals.get(`${host}:${port}`);

/** ssh2's hostVerifier: accepts a key known_hosts records for the host; else records why not, for the error. */
export function hostKeyVerifier(host: string, port: number, env: NodeJS.ProcessEnv): (key: Buffer) => boolean {
  return (key) => {
    const files = knownHostsFiles(env);
    const verdict = hostKeyVerdict(readLines(files), host, port, key);
    if (verdict !== 'known') refusals.set(`${host}:${port}`, refusalError(verdict, host, port, key, files[0]!));
    return verdict === 'known';
  };
}

function refusalError(verdict: HostKeyVerdict, host: string, port: number, key: Buffer, file: string): LabError {
  const fingerprint = `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
  const where = port === 22 ? host : `${host} port ${port}`;
  const ssh = `ssh ${port === 22 ? '' : `-p ${port} `}${host}`;
  const entry = port === 22 ? host : `[${host}]:${port}`;
  if (verdict === 'unknown') {
    return environmentError(
      `The ssh host key of ${where} (${fingerprint}) is not in ${file}: lab cannot tell it is the machine you mean.`,
      `Log in once with \`${ssh}\` and accept the key if its fingerprint is the one its owner gives you; ` +
        `then run lab again.`,
    );
  }
  return environmentError(
    verdict === 'changed'
      ? `The ssh host key of ${where} (${fingerprint}) is not the one ${file} recorded: someone may be in the middle, ` +
          'or the machine was reinstalled.'
      : `The ssh host key of ${where} (${fingerprint}) is marked @revoked in the known_hosts files.`,
    `Ask the machine's owner. If it was reinstalled, forget the old key with \`ssh-keygen -R '${entry}'\`, ` +
      `log in once with \`${ssh}\` to accept the new one, then run lab again.`,
  );
}
