import { Agent } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
// ssh2 (~440 KB bundled) is loaded at the first login: only ssh:// engines need it.
import type { Client, ConnectConfig } from 'ssh2';

/** sshd takes at most MaxSessions channels on one login (10 unless set): a login carries fewer, more go on another. */
const CHANNELS_PER_LOGIN = 8;

interface Login {
  client: Promise<Client>;
  socket?: Socket;
  channels: number;
  /** How many channels it may carry: fewer once sshd refused one (a MaxSessions below CHANNELS_PER_LOGIN). */
  room: number;
}

/**
 * An HTTP agent whose connections are channels of an ssh login, each running `docker system dial-stdio`
 * there, as the docker CLI's ssh helper does. docker-modem's own ssh agent logs in anew for every Engine
 * API call (a `lab up` makes dozens). A login is made at the first call, again after it drops, and beside it
 * when it carries CHANNELS_PER_LOGIN (verify holds a shell per node and captures beside them); a login's
 * socket keeps the process alive only while a call is in flight on it.
 */
export function sshDialStdioAgent(config: ConnectConfig & { host: string; port: number }): Agent {
  const agent = new Agent();
  const logins = new Set<Login>();
  const settle = (login: Login) => (login.channels === 0 ? login.socket?.unref() : login.socket?.ref());

  const logIn = (): Login => {
    const login = { channels: 0, room: CHANNELS_PER_LOGIN } as Login; // its client is set below, before anyone reads it
    login.client = import('ssh2').then((ssh2) => new Promise<Client>((resolve, reject) => {
      const client = new ssh2.default.Client(); // CommonJS: its exports are the default (in the bundle, only there)
      const forget = () => logins.delete(login);
      login.socket = connect({ host: config.host, port: config.port });
      settle(login);
      client
        .once('ready', () => resolve(client))
        .on('error', (err) => (forget(), reject(err)))
        // A server may end the connection during the login without an error (sshd's MaxStartups, a refused
        // user): the call must fail then, not wait out the engine timeout. After 'ready' this rejects nothing.
        .on('close', () => (forget(), reject(closedDuringLogin())))
        .connect({ ...config, sock: login.socket });
    }));
    logins.add(login);
    return login;
  };
  const loginWithRoom = () => [...logins].find((l) => l.channels < l.room) ?? logIn();

  const channel = async (login: Login): Promise<Duplex> => {
    const client = await login.client;
    return new Promise((resolve, reject) => {
      client.exec('docker system dial-stdio', (err, stream) => (err ? reject(err) : resolve(stream)));
    });
  };

  const open = (callback: (err: Error | null, stream?: Duplex) => void) => {
    const login = loginWithRoom();
    login.channels++;
    settle(login);
    const release = () => {
      login.channels--;
      settle(login);
    };
    channel(login).then(
      (stream) => {
        stream.once('close', release);
        callback(null, stream);
      },
      (err: Error) => {
        release();
        if (!CHANNEL_REFUSED.test(err.message)) return callback(err);
        if (login.channels === 0) return callback(sessionsRefused(err));
        login.room = login.channels; // sshd takes no more on this login: this call goes on another
        open(callback);
      },
    );
  };
  // Node's Agent takes a callback form of createConnection; its typing knows only the synchronous one.
  (agent as unknown as { createConnection: unknown }).createConnection = (_options: unknown, callback: never) => open(callback);
  return agent;
}

// ssh2's error when the server refuses a channel (sshd past its MaxSessions: "open failed").
const CHANNEL_REFUSED = /^\(SSH\) Channel open failure/;

/** A login that takes no channel at all (sshd's MaxSessions 0): marked as a connection error, as closedDuringLogin. */
const sessionsRefused = (err: Error): Error => Object.assign(err, { level: 'client-channel' });

/** Marked with a level as ssh2 marks its connection errors, so the engine guard reports it as one. */
function closedDuringLogin(): Error {
  return Object.assign(new Error('the ssh server closed the connection during the login'), { level: 'client-socket' });
}
