import { canonicalCidr, cidrContains, cidrsOverlap, intToIp, ipToInt, parseCidr, type Cidr } from './ipv4.js';
import type { Scenario, ScenarioNode } from './schema.js';

/**
 * Lab instances (`lab up rr-basic --name alice`): one scenario brought up several times on one engine, each
 * copy with its own lab name, container and network names, and subnets. Pure: the engine only lists what
 * subnets are taken (pickSubnets' input).
 */

/**
 * An instance's name: the lab's name and the prefix of its containers and networks (`alice-rs1`,
 * `alice-lvs_dr`), like containerlab's `clab-<lab>-<node>` without the fixed `clab-`: the name is the user's
 * own. Short, so every name it prefixes stays within Docker's and Linux's bounds.
 */
export const INSTANCE_NAME = /^[a-z0-9]([a-z0-9-]{0,18}[a-z0-9])?$/;
export const INSTANCE_NAME_RULE = '1 to 20 lower-case letters, digits and "-", not starting or ending with "-"';

/**
 * Where instances' subnets come from: 10.128.0.0/9, apart from every built-in scenario's subnets (172.16-25,
 * 192.168), from Docker's default pools (172.17-31, 192.168), from containerlab's 172.20.20.0/24 and from a
 * User-Mode Linux or slirp guest's 10.0.2.0/24.
 */
export const INSTANCE_POOL: Cidr = { network: '10.128.0.0', prefix: 9 };

/** The container of a node: its own name in a scenario's lab, `<instance>-<node>` in an instance. */
export function containerName(scenario: Scenario, node: string): string {
  return scenario.instance ? `${scenario.name}-${node}` : node;
}

/** For DockerRuntime.withContainerNames: a node's name to its container's; anything else (an id) as it is. */
export function nodeContainers(scenario: Scenario): (name: string) => string {
  const nodes = new Set(scenario.nodes.map((n) => n.name));
  return (name) => (nodes.has(name) ? containerName(scenario, name) : name);
}

/** The scenario a lab was made from: an instance's, or its own name. */
export const scenarioNameOf = (scenario: Scenario): string => scenario.instance?.of ?? scenario.name;

/** What follows `lab up` to bring this lab up again: `rr-basic`, or `rr-basic --name alice`. */
export const upArguments = (scenario: Scenario): string =>
  scenario.instance ? `${scenario.instance.of} --name ${scenario.name}` : scenario.name;

/**
 * For each prefix length (one per network, in order), the first subnet of the pool of that size that overlaps
 * none of the taken ones nor those picked before it; undefined when the pool has none left (or is too small).
 */
export function pickSubnets(prefixes: number[], taken: string[], pool: Cidr = INSTANCE_POOL): string[] | undefined {
  const used = taken.map(parseCidr).filter((c): c is Cidr => c !== undefined);
  const picked: string[] = [];
  for (const prefix of prefixes) {
    if (prefix < pool.prefix) return undefined;
    const size = 2 ** (32 - prefix);
    const start = base(pool);
    let found: Cidr | undefined;
    for (let i = 0; i < 2 ** (prefix - pool.prefix) && !found; i++) {
      const candidate = { network: intToIp(start + i * size), prefix };
      if (!used.some((u) => cidrsOverlap(u, candidate))) found = candidate;
    }
    if (!found) return undefined;
    used.push(found);
    picked.push(canonicalCidr(found));
  }
  return picked;
}

/** An address moved from its old subnet to the new one at the same offset: the host part stays. */
type Move = { from: Cidr; to: Cidr };

function moveIp(moves: Move[], ip: string): string {
  const move = moves.find((m) => cidrContains(m.from, ip));
  return move ? intToIp(base(move.to) + ipToInt(ip) - base(move.from)) : ip;
}

/** A subnet's network address as a number. */
const base = (cidr: Cidr) => ipToInt(parseCidr(canonicalCidr(cidr))!.network);

/** A route's destination: moved when it lies inside one of the old subnets, else (10.0.0.0/8, default) as it is. */
function moveDestination(moves: Move[], to: string): string {
  const cidr = parseCidr(to);
  if (!cidr || !moves.some((m) => cidr.prefix >= m.from.prefix && cidrContains(m.from, cidr.network))) return to;
  return `${moveIp(moves, cidr.network)}/${cidr.prefix}`;
}

/**
 * The addresses inside a shell script or a page (`mount 172.16.0.34:/data`, `/etc/exports` with
 * 172.16.0.0/16, MySQL's grant to `'wpuser'@'172.16.%'`), moved like the nodes' so the setup still holds.
 */
function moveText(moves: Move[], text: string): string {
  const literals = text.replace(/(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3})(?![\d]|\.\d)/g, (ip: string) => moveIp(moves, ip));
  // A wildcard of k octets (172.16.%) is the /8k network of those octets: moved when that is an old subnet.
  return literals.replace(/(?<![\d.])(\d{1,3}(?:\.\d{1,3}){0,2})\.%/g, (whole: string, octets: string) => {
    const k = octets.split('.').length;
    const network = [...octets.split('.'), ...Array<string>(4 - k).fill('0')].join('.');
    const move = moves.find((m) => m.from.prefix === 8 * k && canonicalCidr(m.from) === `${network}/${8 * k}`);
    return move ? `${canonicalCidr(move.to).split('.').slice(0, k).join('.')}.%` : whole;
  });
}

/**
 * The scenario as instance `name`: lab name `name`, networks `<name>-<network>` on the given subnets (one per
 * network, in order, each of the old one's prefix), and every address (nodes, VIP, routes, the setup's
 * scripts and the pages) moved by offset into them. Node names stay: `rs1` is `rs1` in every instance.
 */
export function instantiate(scenario: Scenario, name: string, subnets: string[]): Scenario {
  const moves: Move[] = scenario.networks.map((net, i) => ({ from: parseCidr(net.subnet)!, to: parseCidr(subnets[i]!)! }));
  const netName = (net: string) => `${name}-${net}`;
  const moveNode = (node: ScenarioNode): ScenarioNode => ({
    ...node,
    ...(node.address !== undefined ? { address: moveIp(moves, node.address) } : {}),
    ...(node.addresses
      ? { addresses: Object.fromEntries(Object.entries(node.addresses).map(([net, ip]) => [netName(net), moveIp(moves, ip)])) }
      : {}),
    routes: node.routes.map((r) => ({ to: moveDestination(moves, r.to), via: moveIp(moves, r.via) })),
    ...(node.role === 'real-server' ? { page: moveText(moves, node.page) } : {}),
  }) as ScenarioNode;
  return {
    ...scenario,
    name,
    instance: { of: scenarioNameOf(scenario) },
    networks: scenario.networks.map((net, i) => ({ ...net, name: netName(net.name), subnet: canonicalCidr(moves[i]!.to) })),
    service: {
      ...scenario.service,
      vip: moveIp(moves, scenario.service.vip),
      ...(scenario.service.network !== undefined ? { network: netName(scenario.service.network) } : {}),
    },
    nodes: scenario.nodes.map(moveNode),
    setup: scenario.setup.map((step) => ({ ...step, run: moveText(moves, step.run), why: moveText(moves, step.why) })),
  };
}
