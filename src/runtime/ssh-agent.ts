import { Agent } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
// ssh2 (~440 KB bundled) is loaded at the first login: only ssh:// engines need it.
import type { Client, ConnectConfig } from 'ssh2';

/**
 * An HTTP agent whose connections are channels of ONE ssh login, each running `docker system dial-stdio`
 * there, as the docker CLI's ssh helper does. docker-modem's own ssh agent logs in anew for every Engine
 * API call (a `lab up` makes dozens). The login is made at the first call and again after it drops; its
 * socket keeps the process alive only while a call is in flight.
 */
export function sshDialStdioAgent(config: ConnectConfig & { host: string; port: number }): Agent {
  const agent = new Agent();
  let login: Promise<Client> | undefined;
  let socket: Socket | undefined;
  let inFlight = 0;
  const settle = () => (inFlight === 0 ? socket?.unref() : socket?.ref());

  const logIn = (): Promise<Client> => (login ??= import('ssh2').then((ssh2) => new Promise<Client>((resolve, reject) => {
    const client = new ssh2.default.Client(); // CommonJS: its exports are the default (in the bundle, only there)
    const forget = () => {
      login = undefined;
      socket = undefined;
    };
    socket = connect({ host: config.host, port: config.port });
    settle();
    client
      .once('ready', () => resolve(client))
      .on('error', (err) => (forget(), reject(err)))
      // A server may end the connection during the login without an error (sshd's MaxStartups, a refused
      // user): the call must fail then, not wait out the engine timeout. After 'ready' this rejects nothing.
      .on('close', () => (forget(), reject(closedDuringLogin())))
      .connect({ ...config, sock: socket });
  })));

  const channel = async (): Promise<Duplex> => {
    const client = await logIn();
    return new Promise((resolve, reject) => {
      client.exec('docker system dial-stdio', (err, stream) => (err ? reject(err) : resolve(stream)));
    });
  };

  // Node's Agent takes a callback form of createConnection; its typing knows only the synchronous one.
  (agent as unknown as { createConnection: unknown }).createConnection = (
    _options: unknown, callback: (err: Error | null, stream?: Duplex) => void,
  ) => {
    inFlight++;
    settle();
    const release = () => {
      inFlight--;
      settle();
    };
    channel().then(
      (stream) => {
        stream.once('close', release);
        callback(null, stream);
      },
      (err: Error) => {
        release();
        callback(err);
      },
    );
  };
  return agent;
}

/** Marked with a level as ssh2 marks its connection errors, so the engine guard reports it as one. */
function closedDuringLogin(): Error {
  return Object.assign(new Error('the ssh server closed the connection during the login'), { level: 'client-socket' });
}
