import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hostKeyVerdict } from '../../src/runtime/known-hosts.js';

// Real keys and real known_hosts lines, as ssh-keygen writes and hashes them.
const dir = mkdtempSync(join(tmpdir(), 'lab-known-hosts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function hostKey(name: string): { line: string; blob: Buffer } {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', join(dir, name)]);
  const [type, base64] = readFileSync(join(dir, `${name}.pub`), 'utf8').trim().split(' ');
  return { line: `${type} ${base64}`, blob: Buffer.from(base64!, 'base64') };
}
const mine = hostKey('mine');
const other = hostKey('other');

function hashed(lines: string[]): string[] {
  const file = join(dir, `known_hosts-${Math.random()}`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  execFileSync('ssh-keygen', ['-q', '-H', '-f', file], { stdio: 'ignore' });
  return readFileSync(file, 'utf8').split('\n');
}

describe('known_hosts, read as ssh reads it', () => {
  it('a host on port 22 by its name, another port as [host]:port', () => {
    expect(hostKeyVerdict([`teach.example ${mine.line}`], 'teach.example', 22, mine.blob)).toBe('known');
    expect(hostKeyVerdict([`[127.0.0.1]:2222 ${mine.line}`], '127.0.0.1', 2222, mine.blob)).toBe('known');
    expect(hostKeyVerdict([`127.0.0.1 ${mine.line}`], '127.0.0.1', 2222, mine.blob)).toBe('unknown');
  });

  it('a host nobody recorded is unknown; a recorded host with another key has changed', () => {
    expect(hostKeyVerdict([`# a comment`, '', `other.example ${mine.line}`], 'teach.example', 22, mine.blob)).toBe('unknown');
    expect(hostKeyVerdict([`teach.example ${other.line}`], 'teach.example', 22, mine.blob)).toBe('changed');
    // One line with this key is enough, as with a host that has keys of several types.
    expect(hostKeyVerdict([`teach.example ${other.line}`, `teach.example ${mine.line}`], 'teach.example', 22, mine.blob)).toBe('known');
  });

  it('hashed names (HashKnownHosts, ssh-keygen -H)', () => {
    const lines = hashed([`[127.0.0.1]:2222 ${mine.line}`]);
    expect(lines[0]).toMatch(/^\|1\|/);
    expect(hostKeyVerdict(lines, '127.0.0.1', 2222, mine.blob)).toBe('known');
    expect(hostKeyVerdict(lines, '127.0.0.1', 2223, mine.blob)).toBe('unknown');
    expect(hostKeyVerdict(lines, '127.0.0.1', 2222, other.blob)).toBe('changed');
  });

  it('lists, globs and negations; @revoked refuses; @cert-authority is not a host key', () => {
    expect(hostKeyVerdict([`a.example,teach.example ${mine.line}`], 'teach.example', 22, mine.blob)).toBe('known');
    expect(hostKeyVerdict([`*.example ${mine.line}`], 'teach.example', 22, mine.blob)).toBe('known');
    expect(hostKeyVerdict([`*.example,!teach.example ${mine.line}`], 'teach.example', 22, mine.blob)).toBe('unknown');
    expect(hostKeyVerdict([`teach.example ${mine.line}`, `@revoked * ${mine.line}`], 'teach.example', 22, mine.blob)).toBe('revoked');
    expect(hostKeyVerdict([`@cert-authority *.example ${mine.line}`], 'teach.example', 22, mine.blob)).toBe('unknown');
  });
});
