import { connect } from 'node:net';

/**
 * Two requests to the VIP from ONE client port, one after the other: `node port-reuse.driver.js VIP PORT LOCAL-PORT`,
 * run in the client's network namespace (nsenter -n). Prints the two pages as a JSON array.
 *
 * Each request is HTTP/1.0, so the web server closes first and the client keeps no TIME_WAIT: the port is free
 * again at once, while the director's IPVS still holds the first connection's entry (FIN_WAIT in DR, the last
 * state a director that sees only the client's half reaches). That is what a client's fresh connection meets
 * when its kernel picks a recently used port, as curl's connections in `lab verify` do now and then.
 */
const [vip = '', port = '80', localPort = '0'] = process.argv.slice(2);
const RETRIES = 20;

function request(): Promise<string> {
  return new Promise((resolve, reject) => {
    // libuv binds with SO_REUSEADDR: the port can be bound again once the first connection has closed.
    const socket = connect({ host: vip, port: Number(port), localPort: Number(localPort) });
    let response = '';
    socket.setTimeout(5000, () => socket.destroy(new Error(`no answer from ${vip}:${port} within 5 s`)));
    socket.on('connect', () => socket.write(`GET / HTTP/1.0\r\nHost: ${vip}\r\n\r\n`));
    socket.on('data', (chunk) => (response += chunk.toString()));
    socket.on('error', reject);
    socket.on('close', () => resolve(response.split('\r\n\r\n').slice(1).join('\r\n\r\n').trim()));
  });
}

/** The client's side of the last connection may still wait for the server's last ACK: try again shortly. */
async function requestWhenPortFree(): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await request();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (attempt >= RETRIES || (code !== 'EADDRNOTAVAIL' && code !== 'EADDRINUSE')) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

const pages = [await requestWhenPortFree(), await requestWhenPortFree()];
process.stdout.write(`${JSON.stringify(pages)}\n`);
