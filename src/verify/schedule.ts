import { realServers } from '../scenario/model.js';
import type { Scenario, Scheduler } from '../scenario/schema.js';
import type { CheckResult, RequestResult } from './types.js';

export interface WeightedServer {
  name: string;
  weight: number;
}

/** The scenario's real servers with their weights, in the order they are added (`ipvsadm -a`). */
export const weightedServers = (scenario: Scenario): WeightedServer[] =>
  realServers(scenario).map((rs) => ({ name: rs.name, weight: rs.weight }));

/** The property each scheduler promises for one client's fresh connections, checked on the sequence seen. */
export function checkScheduling(scheduler: Scheduler, servers: WeightedServer[], requests: RequestResult[]): CheckResult {
  const failed = requests.filter((r) => r.server === null);
  if (failed.length > 0) {
    return {
      id: 'scheduling',
      title: `Scheduling (${scheduler})`,
      status: 'fail',
      summary: `${failed.length} of ${requests.length} requests got no page from a real server (${failed.map((r) => describeFailure(r)).join('; ')}).`,
      diagnosis:
        'The VIP did not answer with a real server\'s page. Check the director has the VIP (`lab exec lvs -- ip addr`), ' +
        'its rules (`lab exec lvs -- ipvsadm -Ln`), and that each real server has the VIP on lo and httpd running (`lab exec rs1 -- ip addr show lo`).',
    };
  }
  switch (scheduler) {
    case 'rr':
      return checkRoundRobin(servers, requests);
    case 'wrr':
      return checkWeightedRoundRobin(servers, requests);
    default:
      return {
        id: 'scheduling',
        title: `Scheduling (${scheduler})`,
        status: 'not-checked',
        summary: `Every request was answered; lab has no check yet for what ${scheduler} promises, so it does not claim one.`,
      };
  }
}

function describeFailure(r: RequestResult): string {
  return r.curlExit !== 0 ? `#${r.index + 1}: curl exit ${r.curlExit}` : `#${r.index + 1}: unknown page "${r.body.slice(0, 40)}"`;
}

/** rr: the servers with weight > 0 take turns in a fixed order, one connection each. */
export function checkRoundRobin(servers: WeightedServer[], requests: RequestResult[]): CheckResult {
  const active = servers.filter((s) => s.weight > 0).map((s) => s.name);
  const seq = requests.map((r) => r.server!);
  const k = active.length;
  const title = 'Scheduling (rr: strict alternation)';
  if (seq.length < 2 * k) {
    return { id: 'scheduling', title, status: 'fail', summary: `${seq.length} requests cannot show alternation over ${k} servers.`, diagnosis: `Send at least ${2 * k} (--requests).` };
  }
  const firstRound = seq.slice(0, k);
  const missing = active.filter((s) => !firstRound.includes(s));
  const breakAt = seq.findIndex((s, i) => i >= k && s !== seq[i - k]);
  if (missing.length === 0 && breakAt === -1) {
    return { id: 'scheduling', title, status: 'pass', summary: `${seq.length} connections took turns: ${seq.join(' ')}.` };
  }
  const never = active.filter((s) => !seq.includes(s));
  return {
    id: 'scheduling',
    title,
    status: 'fail',
    summary: `Sequence ${seq.join(' ')} is not round robin${breakAt > 0 ? ` (breaks at request ${breakAt + 1})` : ''}.`,
    diagnosis: never.length
      ? `${never.join(', ')} never answered: check it is in the director's table (\`ipvsadm -Ln\`) with weight > 0, and that its VIP on lo and httpd are up.`
      : 'Check the scheduler is rr (`ipvsadm -Ln`), that nothing else sends connections to the VIP meanwhile, and that each request is a new TCP connection.',
  };
}

/** wrr: over whole cycles of sum(weights) connections, each server's count equals its weight. */
export function checkWeightedRoundRobin(servers: WeightedServer[], requests: RequestResult[]): CheckResult {
  const cycle = servers.reduce((sum, s) => sum + s.weight, 0);
  const title = `Scheduling (wrr: counts in the ratio ${servers.map((s) => s.weight).join(':')})`;
  const cycles = Math.floor(requests.length / cycle);
  if (cycles < 1) {
    return { id: 'scheduling', title, status: 'fail', summary: `${requests.length} requests are less than one cycle of ${cycle}.`, diagnosis: `Send a multiple of ${cycle} (--requests ${2 * cycle}).` };
  }
  // Any window of one whole number of cycles shows the same counts, wherever the scheduler's turn started.
  const window = requests.slice(0, cycles * cycle);
  const counts = servers.map((s) => ({ ...s, seen: window.filter((r) => r.server === s.name).length, expected: s.weight * cycles }));
  const wrong = counts.filter((c) => c.seen !== c.expected);
  const shown = counts.map((c) => `${c.name}=${c.seen}`).join(' ');
  if (wrong.length === 0) return { id: 'scheduling', title, status: 'pass', summary: `${window.length} connections (${cycles} cycles): ${shown}, as the weights say.` };
  return {
    id: 'scheduling',
    title,
    status: 'fail',
    summary: `${window.length} connections (${cycles} cycles): ${shown}; expected ${counts.map((c) => `${c.name}=${c.expected}`).join(' ')}.`,
    diagnosis: 'The director\'s weights differ from the scenario\'s: compare `ipvsadm -Ln` (Weight column) with the file, and that the scheduler is wrr.',
  };
}

const titleFor = (what: string) => `Scheduling (${what})`;

/** -p: within the timeout, every connection of one client goes to the server it got first. */
export function checkPersistence(timeout: number, requests: RequestResult[]): CheckResult {
  const title = titleFor(`persistence -p ${timeout}: one client sticks to one server`);
  const servers = [...new Set(requests.map((r) => r.server))];
  if (servers.length === 1 && servers[0] !== null) {
    return { id: 'scheduling', title, status: 'pass', summary: `all ${requests.length} connections from ${requests[0]!.client} went to ${servers[0]}.` };
  }
  return {
    id: 'scheduling', title, status: 'fail',
    summary: `connections from one client went to ${servers.map((s) => s ?? 'nowhere').join(' and ')}: ${requests.map((r) => r.server ?? '??').join(' ')}.`,
    diagnosis: 'The virtual service is not persistent: `ipvsadm -Ln` should show "persistent" on it (ipvsadm -A ... -p SECONDS).',
  };
}

// ip_vs_sh gives a client hashed to a weight-0 server's bucket no server, and does not look further.
const UNSERVED = 'the hash gives it no server (its bucket is a weight-0 server\'s)';

/** sh: each client always lands on the one server the hash of its address picks (undefined: none). */
export function checkSourceHashing(perClient: Array<{ client: string; expected: string | undefined; requests: RequestResult[] }>): CheckResult {
  const title = titleFor('sh: each client on the server its address hashes to');
  const problems: string[] = [];
  const seen: string[] = [];
  for (const { client, expected, requests } of perClient) {
    const servers = [...new Set(requests.map((r) => r.server ?? '??'))];
    seen.push(`${client} -> ${servers.join('+')}`);
    if (servers.length !== 1) problems.push(`${client} was spread over ${servers.join(', ')}`);
    else if (!expected) problems.push(`${client} ${servers[0] === '??' ? 'got no page' : `landed on ${servers[0]}`}, ${UNSERVED}`);
    else if (servers[0] !== expected) problems.push(`${client} landed on ${servers[0]}, the hash says ${expected}`);
  }
  if (problems.length === 0) return { id: 'scheduling', title, status: 'pass', summary: `${seen.join('; ')}, as IPVS's hash of each address says.` };
  return {
    id: 'scheduling', title, status: 'fail', summary: `${problems.join('; ')}.`,
    diagnosis: 'Check the scheduler is sh (`ipvsadm -Ln`), that both real servers are in the table with weight > 0, and that the clients\' addresses are their own (no NAT in front).',
  };
}

/** lc: with one connection held open on a server, new connections go to the other one(s). */
export function checkLeastConnection(held: string | undefined, requests: RequestResult[]): CheckResult {
  const title = titleFor('lc: new connections avoid the server holding an active one');
  if (!held) {
    return { id: 'scheduling', title, status: 'fail', summary: 'The held-open connection did not show as active on any real server.', diagnosis: 'Check `ipvsadm -Lnc` on the director lists an ESTABLISHED entry while a connection is open.' };
  }
  const onHeld = requests.filter((r) => r.server === held);
  if (onHeld.length === 0 && requests.every((r) => r.server !== null)) {
    return { id: 'scheduling', title, status: 'pass', summary: `with one connection held open on ${held}, all ${requests.length} new connections went to ${[...new Set(requests.map((r) => r.server))].join(', ')}.` };
  }
  return {
    id: 'scheduling', title, status: 'fail',
    summary: `${onHeld.length} of ${requests.length} new connections went to ${held}, which holds an active connection: ${requests.map((r) => r.server ?? '??').join(' ')}.`,
    diagnosis: 'The scheduler does not count connections: `ipvsadm -Ln` should show lc, and ActiveConn 1 on the busy server.',
  };
}
