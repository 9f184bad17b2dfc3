import {
  checkArpOwnership, checkNoDirectorEndpoint, checkRequestPath, checkReturnPath, type Hop,
} from './dr.js';
import type { DirectorTables, PacketEvidence } from './evidence.js';
import { checkDirectorReplies, checkNatGateway, checkNatRewrite, checkTunnel, connectionHops } from './forwarding.js';
import type { CheckResult } from './types.js';

/** The forwarding method's checks on the evidence, and the hop table of one connection where lab draws one. */
export interface MethodVerdict {
  checks: CheckResult[];
  hops: Hop[] | undefined;
}

/** Each forwarding method's own checks (dr.ts, forwarding.ts), then who carries the replies (all three). */
export function checkForwarding(evidence: PacketEvidence, tables: DirectorTables): MethodVerdict {
  const { topo, captures, facts } = evidence;
  const replies = checkDirectorReplies(facts.method, topo, tables);
  switch (facts.method) {
    case 'dr':
      return {
        checks: [
          checkArpOwnership(topo, facts.arpReplies),
          checkRequestPath(topo, captures),
          checkReturnPath(topo, captures),
          checkNoDirectorEndpoint(topo, facts.directorSockets, tables.connections.entries),
          replies,
        ],
        hops: connectionHops('dr', topo, captures),
      };
    case 'nat':
      return {
        checks: [checkNatGateway(facts.routes), checkNatRewrite(topo, captures), replies],
        hops: connectionHops('nat', topo, captures),
      };
    case 'tun':
      return { checks: [checkTunnel(topo, captures), replies], hops: connectionHops('tun', topo, captures) };
  }
}

/** Real servers on different methods: no one packet path to check, and lab says so rather than guess. */
export function mixedForwarding(methods: string[]): MethodVerdict {
  const summary = `real servers use different methods (${methods.join(', ')}); lab checks one method at a time.`;
  return { checks: [{ id: 'packet-path', title: 'Packet path', status: 'not-checked', summary }], hops: undefined };
}
