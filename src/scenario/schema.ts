import { z } from 'zod';
import { isImageReference } from './image-reference.js';
import { canonicalCidr, cidrContains, firstHost, isIpv4, isUsableHost, parseCidr, type Cidr } from './ipv4.js';

/** Every IPVS scheduler ipvsadm accepts with `-s`; each one is its own kernel module `ip_vs_<name>`. */
export const SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh'] as const;
export const FORWARDING = ['dr', 'nat', 'tun'] as const;
export const INIT_MODES = ['systemd', 'none'] as const;
export const PRIVILEGE_PROFILES = ['privileged', 'capabilities', 'minimal'] as const;
/** What a file or an option may say: a concrete value, or `auto` (decided on the engine, see auto.ts). */
export const INIT_SETTINGS = [...INIT_MODES, 'auto'] as const;
export const PRIVILEGE_SETTINGS = [...PRIVILEGE_PROFILES, 'auto'] as const;

const ipv4 = z.string().refine(isIpv4, { message: 'not an IPv4 address' });
const cidr = z.string().refine((s) => parseCidr(s) !== undefined, { message: 'not a subnet like 172.20.0.0/16 (prefix 8-30)' });
const port = z.number().int().min(1).max(65535);
const dnsLabel = z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'use lower-case letters, digits and "-" (it becomes a hostname)');
// A node name is a container name (Docker: [a-zA-Z0-9][a-zA-Z0-9_.-]+, two characters at least) and a hostname.
const nodeName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$/, 'use 2 to 63 lower-case letters, digits and "-", not starting or ending with "-" (it becomes the container name and the hostname)');
/** Names Docker gives its own networks, and `default`, which a container's network mode reads as the default bridge. */
const PREDEFINED_NETWORKS = ['bridge', 'host', 'none', 'default'];
const networkName = z
  .string()
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/, 'use up to 64 letters, digits, "_", "." and "-", starting with a letter or digit')
  .refine((name) => !PREDEFINED_NETWORKS.includes(name), { message: `Docker reserves the names ${PREDEFINED_NETWORKS.join(', ')}` });
/** Free text is stored in every container's labels; a bound keeps it far below what the Engine API accepts. */
const text = (max: number) => z.string().max(max, `at most ${max} characters`);

const network = z.strictObject({
  name: networkName,
  subnet: cidr,
  /** No route out of the lab (Docker `--internal`): the lab's traffic stays between its own containers. */
  internal: z.boolean().default(true),
});

const route = z.strictObject({
  to: z.union([z.literal('default'), cidr]),
  via: ipv4,
});

/** An image as Docker names it; also what `--image` accepts. */
export const imageReference = z.string().refine(isImageReference, { message: 'not a Docker image reference like lvs-lab/debian:bookworm or registry:5000/team/image:tag (lower-case repository path)' });

const nodeCommon = {
  name: nodeName,
  /** Address on the scenario's only network. */
  address: ipv4.optional(),
  /** Address per network, for nodes on several networks (NAT: client side and server side). */
  addresses: z.record(z.string(), ipv4).optional(),
  image: imageReference.optional(),
  init: z.enum(INIT_SETTINGS).optional(),
  privilege: z.enum(PRIVILEGE_SETTINGS).optional(),
  routes: z.array(route).max(32).default([]),
};

const director = z.strictObject({
  ...nodeCommon,
  role: z.literal('director'),
  /** The alias the tutorial gives the VIP on the director: `ifconfig eth0:1 VIP/16`. */
  vipLabel: z.string().regex(/^eth\d+:\w+$/, "like eth0:1").max(15, 'at most 15 characters (a Linux interface label)').optional(),
});

const realServer = z.strictObject({
  ...nodeCommon,
  role: z.literal('real-server'),
  /** The page this server serves, so the client can tell who answered. */
  page: text(4096).min(1).refine((page) => !page.includes('\0'), { message: 'contains a NUL character, which no command line can carry' }),
  weight: z.number().int().min(0).max(65535).default(1),
  forwarding: z.enum(FORWARDING).optional(),
  /** Port the web server listens on; only NAT can map VIP:port to another port. */
  port: port.optional(),
  /** arp_ignore=1 / arp_announce=2 before the VIP goes on lo; off only to show the ARP problem (seed 004). */
  arpSuppression: z.boolean().default(true),
});

const client = z.strictObject({
  ...nodeCommon,
  role: z.literal('client'),
});

const node = z.discriminatedUnion('role', [director, realServer, client]);

export const scenarioSchema = z
  .strictObject({
    name: dnsLabel,
    title: text(200).min(1),
    /** Which tutorial in shared/seeds this scenario comes from. */
    seed: text(200).optional(),
    description: text(4096).optional(),
    defaults: z
      .strictObject({
        image: imageReference.default('lvs-lab/debian:bookworm'),
        init: z.enum(INIT_SETTINGS).default('systemd'),
        privilege: z.enum(PRIVILEGE_SETTINGS).default('privileged'),
      })
      .prefault({}),
    networks: z.array(network).min(1).max(16),
    service: z.strictObject({
      vip: ipv4,
      port: port.default(80),
      protocol: z.enum(['tcp', 'udp']).default('tcp'),
      scheduler: z.enum(SCHEDULERS).default('rr'),
      /** `ipvsadm -p SECONDS`: one client sticks to one real server. */
      persistence: z.number().int().min(1).optional(),
      /** The network the VIP lives on; defaults to the director's first. */
      network: z.string().optional(),
      /**
       * Who writes the IPVS table: `ipvsadm` by hand (the tutorials), or keepalived, which also health-checks
       * each real server over HTTP and takes it out of the table while it fails.
       */
      manager: z.enum(['ipvsadm', 'keepalived']).default('ipvsadm'),
      /** keepalived's HTTP_GET check: seconds between checks (delay_loop). */
      checkInterval: z.number().int().min(1).max(60).default(2),
    }),
    /** Forwarding method for real servers that do not set their own. */
    forwarding: z.enum(FORWARDING).default('dr'),
    nodes: z.array(node).min(1).max(64),
  })
  .superRefine((s, ctx) => {
    const networks = new Map<string, z.infer<typeof network>>();
    s.networks.forEach((n, i) => {
      if (networks.has(n.name)) ctx.addIssue({ code: 'custom', path: ['networks', i, 'name'], message: `network "${n.name}" is declared twice` });
      networks.set(n.name, n);
    });
    const seenNames = new Set<string>();
    const seenAddresses = new Map<string, string>();
    s.nodes.forEach((n, i) => {
      if (typeof n !== 'object' || n === null) return;
      if (seenNames.has(n.name)) ctx.addIssue({ code: 'custom', path: ['nodes', i, 'name'], message: `node "${n.name}" is declared twice` });
      seenNames.add(n.name);
      if (n.address !== undefined && n.addresses !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['nodes', i], message: 'give either address or addresses, not both' });
        return;
      }
      let pairs: Array<[string, string, (string | number)[]]> = [];
      if (n.address !== undefined) {
        if (s.networks.length !== 1) {
          ctx.addIssue({ code: 'custom', path: ['nodes', i, 'address'], message: 'this scenario has several networks: use addresses: { <network>: <ip> }' });
          return;
        }
        pairs = [[s.networks[0]!.name, n.address, ['nodes', i, 'address']]];
      } else if (n.addresses !== undefined) {
        pairs = Object.entries(n.addresses).map(([net, ip]) => [net, ip, ['nodes', i, 'addresses', net]]);
        if (pairs.length === 0) ctx.addIssue({ code: 'custom', path: ['nodes', i, 'addresses'], message: 'needs at least one network' });
      } else {
        ctx.addIssue({ code: 'custom', path: ['nodes', i, 'address'], message: 'every node needs an address' });
      }
      for (const [netName, ip, path] of pairs) {
        if (typeof ip !== 'string' || !isIpv4(ip)) continue; // already reported as not an IPv4 address
        const net = networks.get(netName);
        if (!net) {
          ctx.addIssue({ code: 'custom', path, message: `no network named "${netName}"` });
          continue;
        }
        const subnet = parseCidr(net.subnet);
        if (!subnet) continue;
        const problem = hostAddressProblem(subnet, ip);
        if (problem) ctx.addIssue({ code: 'custom', path, message: problem });
        if (ip === s.service.vip) ctx.addIssue({ code: 'custom', path, message: 'is the VIP; the VIP is added by the lab, give the node its own address' });
        const key = `${netName}/${ip}`;
        const other = seenAddresses.get(key);
        if (other) ctx.addIssue({ code: 'custom', path, message: `${ip} is already ${other}'s address` });
        seenAddresses.set(key, n.name);
      }
    });

    const directors = s.nodes.filter((n) => n.role === 'director');
    if (directors.length !== 1) ctx.addIssue({ code: 'custom', path: ['nodes'], message: `needs exactly one director, found ${directors.length}` });
    if (!s.nodes.some((n) => n.role === 'real-server')) ctx.addIssue({ code: 'custom', path: ['nodes'], message: 'needs at least one real-server' });
    if (!s.nodes.some((n) => n.role === 'client')) {
      ctx.addIssue({ code: 'custom', path: ['nodes'], message: 'needs a client node: verify sends its requests from there' });
    }

    const vipNetworkName = s.service.network ?? (directors[0] ? nodeNetworkNames(directors[0], s.networks)[0] : undefined);
    const vipNetwork = vipNetworkName ? networks.get(vipNetworkName) : undefined;
    if (s.service.network !== undefined && !vipNetwork) {
      ctx.addIssue({ code: 'custom', path: ['service', 'network'], message: `no network named "${s.service.network}"` });
    } else if (vipNetwork) {
      const subnet = parseCidr(vipNetwork.subnet);
      const problem = subnet && isIpv4(s.service.vip) ? hostAddressProblem(subnet, s.service.vip) : undefined;
      if (problem) ctx.addIssue({ code: 'custom', path: ['service', 'vip'], message: `${problem} (network ${vipNetwork.name})` });
    }

    const pageOwners = new Map<string, string>();
    s.nodes.forEach((n, i) => {
      if (n.role !== 'real-server') return;
      if (typeof n.page === 'string') {
        // verify names the server that answered by its page, compared trimmed.
        const other = pageOwners.get(n.page.trim());
        if (other) ctx.addIssue({ code: 'custom', path: ['nodes', i, 'page'], message: `the same page as ${other}: verify tells real servers apart by their pages` });
        pageOwners.set(n.page.trim(), n.name);
      }
      const method = n.forwarding ?? s.forwarding;
      if (n.port !== undefined && n.port !== s.service.port && method !== 'nat') {
        ctx.addIssue({ code: 'custom', path: ['nodes', i, 'port'], message: `only NAT can map ports; ${method.toUpperCase()} keeps the VIP's port ${s.service.port}` });
      }
      if (method === 'dr' && directors[0]) {
        const shared = nodeNetworkNames(n, s.networks).filter((net) => nodeNetworkNames(directors[0]!, s.networks).includes(net));
        if (shared.length === 0) ctx.addIssue({ code: 'custom', path: ['nodes', i], message: 'DR needs the real server on the same L2 network as the director' });
      }
    });

    const labelBytes = labelSizeOnTheWire(s);
    if (labelBytes > MAX_LABEL_BYTES) {
      ctx.addIssue({ code: 'custom', path: [], message: `the scenario is ${Math.ceil(labelBytes / 1024)} KB as sent to Docker in each container's labels, at most ${MAX_LABEL_BYTES / 1024} KB: shorten pages and descriptions, or use fewer nodes` });
    }
  }, { when: (payload) => hasCheckableShape(payload.value) });

/**
 * Each container carries the scenario as a JSON label, and dockerode sends a container's create options in
 * the query string as well as the body; the engine reads at most 1 MB of request line and headers (Go's
 * default), beyond which it answers 431. A quarter of that leaves room for everything else.
 */
const MAX_LABEL_BYTES = 256 * 1024;

/** The scenario label as it travels in the query string: JSON in JSON, percent-encoded. */
function labelSizeOnTheWire(scenario: unknown): number {
  return encodeURIComponent(JSON.stringify(JSON.stringify(scenario))).length;
}

/** Why an address cannot be a node's or the VIP on a Docker network with this subnet, if it cannot. */
function hostAddressProblem(subnet: Cidr, ip: string): string | undefined {
  const canonical = canonicalCidr(subnet);
  if (!cidrContains(subnet, ip)) return `not inside ${canonical}`;
  if (!isUsableHost(subnet, ip)) return `${ip} is the network or broadcast address of ${canonical}; pick a host address`;
  if (ip === firstHost(subnet)) return `${ip} is the Docker gateway of ${canonical}; pick another address`;
  return undefined;
}

/**
 * Cross-field checks also run when other fields are invalid, so a file gets every issue at once;
 * they need only the skeleton (networks, nodes, service) to be the right shape.
 */
function hasCheckableShape(value: unknown): boolean {
  const v = value as { networks?: unknown; nodes?: unknown; service?: { vip?: unknown } };
  const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null;
  return (
    isObj(v) &&
    Array.isArray(v.networks) && v.networks.every((n) => isObj(n) && typeof n.name === 'string' && typeof n.subnet === 'string') &&
    Array.isArray(v.nodes) && v.nodes.every((n) => isObj(n) && typeof n.name === 'string') &&
    isObj(v.service) && typeof v.service!.vip === 'string'
  );
}

export type ScenarioInput = z.input<typeof scenarioSchema>;
export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioNode = Scenario['nodes'][number];
export type DirectorNode = Extract<ScenarioNode, { role: 'director' }>;
export type RealServerNode = Extract<ScenarioNode, { role: 'real-server' }>;
export type ClientNode = Extract<ScenarioNode, { role: 'client' }>;
export type Forwarding = (typeof FORWARDING)[number];
export type InitMode = (typeof INIT_MODES)[number];
export type PrivilegeProfile = (typeof PRIVILEGE_PROFILES)[number];
export type InitSetting = (typeof INIT_SETTINGS)[number];
export type PrivilegeSetting = (typeof PRIVILEGE_SETTINGS)[number];
export type Scheduler = (typeof SCHEDULERS)[number];

function nodeNetworkNames(n: { address?: string | undefined; addresses?: Record<string, string> | undefined }, nets: Array<{ name: string }>): string[] {
  if (n.addresses) return Object.keys(n.addresses);
  return n.address !== undefined && nets.length === 1 ? [nets[0]!.name] : [];
}
