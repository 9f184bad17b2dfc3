import { Command } from 'commander';
import * as z from 'zod';
import { captureOnNode } from '../lab/on-node.js';
import { examples } from './help.js';
import { NODE_TARGET_TEXT, NODE_TARGET_USAGE, nodeTarget } from './node-target.js';
import { parseOptions, wholeNumber } from './options.js';

const captureOptions = z.object({
  write: z.string().min(1).optional(),
  count: wholeNumber(1, 100_000),
  seconds: wholeNumber(1, 3600),
  interface: z.string().regex(/^[\w.:-]+$/, 'an interface name like eth0'),
  filter: z.string(),
});

export const captureCommand = new Command('capture')
  .description('capture packets on a lab node\'s interface: print them, or save a .pcap for Wireshark (-w)')
  .usage(`[options] ${NODE_TARGET_USAGE}`)
  .argument('<operands...>', NODE_TARGET_TEXT)
  .option('-w, --write <file>', 'write a .pcap file on this machine instead of printing')
  .option('-c, --count <n>', 'stop after this many packets', '20')
  .option('--seconds <n>', 'stop after this many seconds anyway', '30')
  .option('-i, --interface <dev>', 'interface inside the node', 'eth0')
  .option('-f, --filter <expr>', 'tcpdump filter, e.g. "tcp port 80" or "arp"', '')
  .addHelpText('after', examples(
    ['lab capture rs1 -f "tcp port 80"', 'see the VIP arrive with the director\'s MAC'],
    ['lab capture lvs -f arp -c 10', 'who answers ARP for the VIP'],
    ['lab capture rs1 -w rs1.pcap -c 100', 'save it for Wireshark'],
  ))
  .action(async (operands: string[], raw) => {
    const opts = parseOptions(captureOptions, raw);
    const target = nodeTarget(operands, '`lab capture rs1` or `lab capture alice rs1`');
    process.exitCode = await captureOnNode({ ...target, ...opts }, { stdout: process.stdout, stderr: process.stderr });
    if (opts.write) {
      process.stderr.write(`Saved ${opts.write} (open it with Wireshark or \`tcpdump -e -n -r ${opts.write}\`).\n`);
    }
  });
