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

const titleFor = (what: string) => `Scheduling (${what})`;
/** The servers that answered, in order: `??` for a request that got no known page. */
const sequenceOf = (requests: RequestResult[]) => requests.map((r) => r.server ?? '??').join(' ');
const serversOf = (requests: RequestResult[]) => [...new Set(requests.map((r) => r.server ?? '??'))];

/** The property each scheduler promises for one client's fresh connections, checked on the sequence seen. */
export function checkScheduling(
  scheduler: Scheduler, servers: WeightedServer[], requests: RequestResult[],
): CheckResult {
  const failed = requests.filter((r) => r.server === null);
  if (failed.length > 0) return unanswered(scheduler, requests, failed);
  switch (scheduler) {
    case 'rr':
      return checkRoundRobin(servers, requests);
    case 'wrr':
      return checkWeightedRoundRobin(servers, requests);
    default:
      return {
        id: 'scheduling',
        title: titleFor(scheduler),
        status: 'not-checked',
        summary: `Every request was answered; lab has no check yet for what ${scheduler} promises, ` +
          'so it does not claim one.',
      };
  }
}

function unanswered(scheduler: Scheduler, requests: RequestResult[], failed: RequestResult[]): CheckResult {
  return {
    id: 'scheduling',
    title: titleFor(scheduler),
    status: 'fail',
    summary: `${failed.length} of ${requests.length} requests got no page from a real server ` +
      `(${failed.map((r) => describeFailure(r)).join('; ')}).`,
    diagnosis:
      'The VIP did not answer with a real server\'s page. ' +
      'Check the director has the VIP (`lab exec lvs -- ip addr`), its rules (`lab exec lvs -- ipvsadm -Ln`), ' +
      'and that each real server has the VIP on lo and httpd running ' +
      '(`lab exec rs1 -- ip addr show lo`).',
  };
}

function describeFailure(r: RequestResult): string {
  const which = `#${r.index + 1}`;
  return r.curlExit !== 0 ? `${which}: curl exit ${r.curlExit}` : `${which}: unknown page "${r.body.slice(0, 40)}"`;
}

/** rr: the servers with weight > 0 take turns in a fixed order, one connection each. */
export function checkRoundRobin(servers: WeightedServer[], requests: RequestResult[]): CheckResult {
  const active = servers.filter((s) => s.weight > 0).map((s) => s.name);
  const seq = requests.map((r) => r.server!);
  const k = active.length;
  const base = { id: 'scheduling', title: titleFor('rr: strict alternation') };
  if (seq.length < 2 * k) {
    const summary = `${seq.length} requests cannot show alternation over ${k} servers.`;
    return { ...base, status: 'fail', summary, diagnosis: `Send at least ${2 * k} (--requests).` };
  }
  const firstRound = seq.slice(0, k);
  const missing = active.filter((s) => !firstRound.includes(s));
  const breakAt = seq.findIndex((s, i) => i >= k && s !== seq[i - k]);
  if (missing.length === 0 && breakAt === -1) {
    return { ...base, status: 'pass', summary: `${seq.length} connections took turns: ${seq.join(' ')}.` };
  }
  const never = active.filter((s) => !seq.includes(s));
  return {
    ...base,
    status: 'fail',
    summary: `Sequence ${seq.join(' ')} is not round robin${breakAt > 0 ? ` (breaks at request ${breakAt + 1})` : ''}.`,
    diagnosis: never.length
      ? `${never.join(', ')} never answered: check it is in the director's table (\`ipvsadm -Ln\`) ` +
        'with weight > 0, and that its VIP on lo and httpd are up.'
      : 'Check the scheduler is rr (`ipvsadm -Ln`), that nothing else sends connections to the VIP meanwhile, ' +
        'and that each request is a new TCP connection.',
  };
}

/** wrr: over whole cycles of sum(weights) connections, each server's count equals its weight. */
export function checkWeightedRoundRobin(servers: WeightedServer[], requests: RequestResult[]): CheckResult {
  const cycle = servers.reduce((sum, s) => sum + s.weight, 0);
  const ratio = servers.map((s) => s.weight).join(':');
  const base = { id: 'scheduling', title: titleFor(`wrr: counts in the ratio ${ratio}`) };
  const cycles = Math.floor(requests.length / cycle);
  if (cycles < 1) {
    const summary = `${requests.length} requests are less than one cycle of ${cycle}.`;
    return { ...base, status: 'fail', summary, diagnosis: `Send a multiple of ${cycle} (--requests ${2 * cycle}).` };
  }
  // Any window of one whole number of cycles shows the same counts, wherever the scheduler's turn started.
  const window = requests.slice(0, cycles * cycle);
  const counted = (s: WeightedServer) => window.filter((r) => r.server === s.name).length;
  const counts = servers.map((s) => ({ ...s, seen: counted(s), expected: s.weight * cycles }));
  const shown = counts.map((c) => `${c.name}=${c.seen}`).join(' ');
  const seen = `${window.length} connections (${cycles} cycles): ${shown}`;
  if (counts.every((c) => c.seen === c.expected)) {
    return { ...base, status: 'pass', summary: `${seen}, as the weights say.` };
  }
  return {
    ...base,
    status: 'fail',
    summary: `${seen}; expected ${counts.map((c) => `${c.name}=${c.expected}`).join(' ')}.`,
    diagnosis: 'The director\'s weights differ from the scenario\'s: ' +
      'compare `ipvsadm -Ln` (Weight column) with the file, and that the scheduler is wrr.',
  };
}

/** -p: within the timeout, every connection of one client goes to the server it got first. */
export function checkPersistence(timeout: number, requests: RequestResult[]): CheckResult {
  const base = { id: 'scheduling', title: titleFor(`persistence -p ${timeout}: one client sticks to one server`) };
  const servers = [...new Set(requests.map((r) => r.server))];
  if (servers.length === 1 && servers[0] !== null) {
    const summary = `all ${requests.length} connections from ${requests[0]!.client} went to ${servers[0]}.`;
    return { ...base, status: 'pass', summary };
  }
  return {
    ...base,
    status: 'fail',
    summary: `connections from one client went to ${servers.map((s) => s ?? 'nowhere').join(' and ')}: ` +
      `${sequenceOf(requests)}.`,
    diagnosis: 'The virtual service is not persistent: ' +
      '`ipvsadm -Ln` should show "persistent" on it (ipvsadm -A ... -p SECONDS).',
  };
}

/** One client's requests under sh, and the server IPVS's hash of its address gives it (undefined: none). */
export interface HashedClient {
  client: string;
  expected: string | undefined;
  requests: RequestResult[];
}

// ip_vs_sh gives a client hashed to a weight-0 server's bucket no server, and does not look further.
const UNSERVED = 'the hash gives it no server (its bucket is a weight-0 server\'s)';

/** sh: each client always lands on the one server the hash of its address picks. */
export function checkSourceHashing(perClient: HashedClient[]): CheckResult {
  const base = { id: 'scheduling', title: titleFor('sh: each client on the server its address hashes to') };
  const seen = perClient.map(({ client, requests }) => `${client} -> ${serversOf(requests).join('+')}`);
  const problems = perClient.flatMap((c) => hashingProblem(c) ?? []);
  if (problems.length === 0) {
    return { ...base, status: 'pass', summary: `${seen.join('; ')}, as IPVS's hash of each address says.` };
  }
  return {
    ...base,
    status: 'fail',
    summary: `${problems.join('; ')}.`,
    diagnosis: 'Check the scheduler is sh (`ipvsadm -Ln`), that both real servers are in the table with weight > 0, ' +
      'and that the clients\' addresses are their own (no NAT in front).',
  };
}

function hashingProblem({ client, expected, requests }: HashedClient): string | undefined {
  const servers = serversOf(requests);
  if (servers.length !== 1) return `${client} was spread over ${servers.join(', ')}`;
  if (!expected) return `${client} ${servers[0] === '??' ? 'got no page' : `landed on ${servers[0]}`}, ${UNSERVED}`;
  if (servers[0] !== expected) return `${client} landed on ${servers[0]}, the hash says ${expected}`;
  return undefined;
}

/** lc: with one connection held open on a server, new connections go to the other one(s). */
export function checkLeastConnection(held: string | undefined, requests: RequestResult[]): CheckResult {
  const base = { id: 'scheduling', title: titleFor('lc: new connections avoid the server holding an active one') };
  if (!held) {
    return {
      ...base,
      status: 'fail',
      summary: 'The held-open connection did not show as active on any real server.',
      diagnosis: 'Check `ipvsadm -Lnc` on the director lists an ESTABLISHED entry while a connection is open.',
    };
  }
  const onHeld = requests.filter((r) => r.server === held);
  if (onHeld.length === 0 && requests.every((r) => r.server !== null)) {
    const went = [...new Set(requests.map((r) => r.server))].join(', ');
    const summary = `with one connection held open on ${held}, all ${requests.length} new connections went to ${went}.`;
    return { ...base, status: 'pass', summary };
  }
  return {
    ...base,
    status: 'fail',
    summary: `${onHeld.length} of ${requests.length} new connections went to ${held}, ` +
      'which holds an active connection: ' +
      `${sequenceOf(requests)}.`,
    diagnosis: 'The scheduler does not count connections: ' +
      '`ipvsadm -Ln` should show lc, and ActiveConn 1 on the busy server.',
  };
}
