import { get } from 'node:http';
import type { AddressInfo } from 'node:net';
import ssh2 from 'ssh2';
import { afterAll, expect, it } from 'vitest';
import { sshDialStdioAgent } from '../../src/runtime/ssh-agent.js';

/** The host key of this file's ssh servers. */
const hostKeys = [ssh2.utils.generateKeyPairSync('ed25519').private];

// A real ssh server on loopback (ssh2's own) that ends every connection when the client starts to log in,
// without an error: what sshd does past MaxStartups, or to a user it will not take.
const server = new ssh2.Server({ hostKeys }, (client) => {
  client.on('error', () => undefined);
  client.on('authentication', () => client.end());
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
afterAll(() => server.close());

it('a login the server ends without an error fails the call as a connection error, not after the engine timeout', async () => {
  const port = (server.address() as AddressInfo).port;
  const agent = sshDialStdioAgent({ host: '127.0.0.1', port, username: 'student', password: 'x' });
  const failed = await new Promise<Error>((resolve, reject) => {
    get({ agent, host: '127.0.0.1', path: '/_ping' }, () => reject(new Error('the call was answered'))).on('error', resolve);
  });
  expect(failed.message).toBe('the ssh server closed the connection during the login');
  expect((failed as Error & { level?: string }).level).toBe('client-socket');
}, 10_000);

// A real ssh server on loopback that, as sshd past its MaxSessions (10 unless set), refuses one more channel on
// a login; each channel answers one HTTP request (as `docker system dial-stdio` hands it to the engine) slowly.
async function sessionLimitedServer(maxSessions: number) {
  const peaks: number[] = [];
  const limited = new ssh2.Server({ hostKeys }, (client) => {
    const login = peaks.push(0) - 1;
    let open = 0;
    client.on('error', () => undefined).on('authentication', (ctx) => ctx.accept());
    client.on('session', (accept, reject) => {
      if (open === maxSessions) return reject();
      peaks[login] = Math.max(peaks[login]!, ++open);
      const session = accept();
      session.once('close', () => open--);
      session.once('exec', (acceptExec) => {
        const stream = acceptExec();
        stream.once('data', () => setTimeout(() => stream.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nOK'), 300));
      });
    });
  });
  await new Promise<void>((resolve) => limited.listen(0, '127.0.0.1', resolve));
  return { port: (limited.address() as AddressInfo).port, peaks, close: () => limited.close() };
}

it.each([10, 3])('more calls at once than sshd takes channels on one login (MaxSessions %i): each answered, over more logins', async (max) => {
  const server = await sessionLimitedServer(max);
  try {
    const agent = sshDialStdioAgent({ host: '127.0.0.1', port: server.port, username: 'student', password: 'x' });
    const call = () => new Promise<number>((resolve, reject) => {
      get({ agent, host: '127.0.0.1', path: '/_ping' }, (res) => res.resume().on('end', () => resolve(res.statusCode!))).on('error', reject);
    });
    expect(await Promise.all(Array.from({ length: 20 }, call))).toEqual(Array(20).fill(200));
    expect(server.peaks.length).toBeGreaterThan(1);
    expect(Math.max(...server.peaks)).toBeLessThanOrEqual(max);
  } finally {
    server.close();
  }
}, 20_000);
