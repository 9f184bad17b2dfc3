import { get } from 'node:http';
import type { AddressInfo } from 'node:net';
import ssh2 from 'ssh2';
import { afterAll, expect, it } from 'vitest';
import { sshDialStdioAgent } from '../../src/runtime/ssh-agent.js';

// A real ssh server on loopback (ssh2's own) that ends every connection when the client starts to log in,
// without an error: what sshd does past MaxStartups, or to a user it will not take.
const server = new ssh2.Server({ hostKeys: [ssh2.utils.generateKeyPairSync('ed25519').private] }, (client) => {
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
