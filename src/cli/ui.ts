import { Command } from 'commander';
import * as z from 'zod';
import { serveLabUi } from '../ui/run.js';
import { examples } from './help.js';
import { parseOptions, wholeNumber } from './options.js';

export const uiCommand = new Command('ui')
  .description(
    'a live page of a running lab on this machine\'s loopback (127.0.0.1 only): the topology, the director\'s counters, ' +
      'requests to send and watch, rs/web actions; Ctrl-C stops it',
  )
  .argument('[lab]', 'the running lab; default: the only one')
  .option('--port <n>', 'the port on 127.0.0.1 (0: any free one)', '8080')
  .addHelpText('after', examples(
    ['lab ui', 'the only running lab, on http://127.0.0.1:8080/'],
    ['lab ui failover --port 0', 'any free port; stop rs1\'s web server from the page and watch keepalived'],
  ))
  .action(async (ref: string | undefined, raw) => {
    const opts = parseOptions(z.object({ port: wholeNumber(0, 65535) }), raw);
    const { lab, server } = await serveLabUi(ref, opts.port);
    process.stdout.write(`lab ui ${lab}: open ${server.url} (loopback only). Ctrl-C stops it.\n`);
    // Ctrl-C (or a kill) closes the server and its connections, then exits 0 at once: the Docker client's
    // kept-alive sockets would otherwise hold the process open.
    await new Promise<void>((resolve) => {
      const stop = () => void server.close().then(resolve);
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    process.stdout.write('lab ui stopped.\n');
    process.exit(0);
  });
