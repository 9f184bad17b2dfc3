import * as z from 'zod';
import { DEBIAN_IMAGE } from '../image-names.js';
import { isImageReference } from './image-reference.js';
import { canonicalCidr, cidrContains, firstHost, isIpv4, isUsableHost, parseCidr, type Cidr } from './ipv4.js';

/** Every IPVS scheduler ipvsadm accepts with `-s`; each one is its own kernel module `ip_vs_<name>`. */
export const SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh'] as const;
export const FORWARDING = ['dr', 'nat', 'tun'] as const;
export const INIT_MODES = ['systemd', 'none'] as const;
/** The web servers a real server may run: Apache as httpd (seeds 000-003), or nginx (seeds 003's cluster, 004). */
export const WEB_SERVERS = ['httpd', 'nginx'] as const;
export const PRIVILEGE_PROFILES = ['privileged', 'capabilities', 'minimal'] as const;
/** What a file or an option may say: a concrete value, or `auto` (decided on the engine, see auto.ts). */
export const INIT_SETTINGS = [...INIT_MODES, 'auto'] as const;
export const PRIVILEGE_SETTINGS = [...PRIVILEGE_PROFILES, 'auto'] as const;

// The `pattern`s only give editors (via the JSON Schema) a first check; the refinements are the real one.
const ipv4 = z.string().refine(isIpv4, { message: 'not an IPv4 address' }).meta({ pattern: '^\\d{1,3}(\\.\\d{1,3}){3}$' });
const cidr = z
  .string()
  .refine((s) => parseCidr(s) !== undefined, { message: 'not a subnet like 172.20.0.0/16 (prefix 8-30)' })
  .meta({ pattern: '^\\d{1,3}(\\.\\d{1,3}){3}/\\d{1,2}$' });
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

const initField = z.enum(INIT_SETTINGS);
const privilegeField = z.enum(PRIVILEGE_SETTINGS);
const IMAGE_TEXT = `Docker image the node runs. Default: defaults.image (${DEBIAN_IMAGE}, built by \`lab images build --offline\`).`;
const INIT_TEXT =
  'PID 1 of the container: `systemd` runs /usr/sbin/init as the tutorial does (`docker run ... centos:7 /usr/sbin/init`) and ' +
  'starts the web server with systemctl; `none` runs a tiny init and starts it with apachectl; `auto` picks on the engine (systemd where it boots).';
const PRIVILEGE_TEXT =
  'What the container may do: `privileged` is the tutorial\'s --privileged=true; `capabilities` is every capability but SYS_RESOURCE, ' +
  'enough for systemd and sysctl -w; `minimal` is NET_ADMIN only, with the kernel settings set at create time; `auto` takes the first the engine accepts.';

const network = z
  .strictObject({
    name: networkName.describe('Docker network name, as in `docker network create ... lvs_dr`. Nodes refer to it in `addresses`.'),
    subnet: cidr.describe(
      'The network\'s subnet in CIDR form, e.g. 172.20.0.0/16 (`docker network create --subnet=...`). Write the network address: Docker stores 172.20.1.0/16 as 172.20.0.0/16. ' +
        'Its first host (172.20.0.1 there) is Docker\'s gateway and cannot be a node.',
    ),
    internal: z
      .boolean()
      .default(true)
      .describe('Docker `--internal`: no route out of the lab, its traffic stays between its own containers. Default true; `lab up --egress` turns it off for every network.'),
  })
  .describe('A Docker network of the lab (one L2 segment). DR needs the director and real servers on the same one; NAT puts the director on two.');

const route = z
  .strictObject({
    to: z.union([z.literal('default'), cidr]).describe('`default`, or a destination subnet like 10.0.0.0/8.'),
    via: ipv4.describe('The gateway, e.g. the director\'s DIP for a NAT real server (`ip route add default via DIP`).'),
  })
  .describe('A static route on the node: `ip route add TO via VIA`.');

/** An image as Docker names it; also what `--image` accepts. */
export const imageReference = z.string().refine(isImageReference, {
  message: `not a Docker image reference like ${DEBIAN_IMAGE} or registry:5000/team/image:tag (lower-case repository path)`,
});

const nodeCommon = {
  name: nodeName.describe('Container name and hostname (lvs, rs1, rs2, client...): what `lab exec NODE`, `lab shell NODE` and the plan show.'),
  address: ipv4
    .optional()
    .describe('The node\'s IPv4 address on the scenario\'s only network (`docker run --ip`). With several networks, use `addresses` instead.'),
  addresses: z
    .record(z.string(), ipv4)
    .optional()
    .describe('The node\'s address per network, `{ <network name>: <ip> }`, for scenarios with several networks (NAT: the client side and the server side).'),
  image: imageReference.optional().describe(IMAGE_TEXT),
  init: initField.optional().describe(`${INIT_TEXT} Default: defaults.init.`),
  privilege: privilegeField.optional().describe(`${PRIVILEGE_TEXT} Default: defaults.privilege.`),
  routes: z.array(route).max(32).default([]).describe('Static routes added before the node\'s LVS setup. Default: none.'),
};

const director = z
  .strictObject({
    ...nodeCommon,
    role: z.literal('director').describe('The director (load balancer): owns the VIP and holds the IPVS table (`ipvsadm -A`/`-a`).'),
    vipLabel: z
      .string()
      .regex(/^eth\d+:\w+$/, 'like eth0:1')
      .max(15, 'at most 15 characters (a Linux interface label)')
      .optional()
      .describe('The alias the VIP gets on the director, as the tutorial\'s `ifconfig eth0:1 VIP/16`. Default: <interface>:1 of the VIP\'s network.'),
    vipPrefix: z
      .number()
      .int()
      .min(8)
      .max(32)
      .optional()
      .describe('The VIP\'s mask on the director: 32 is seed 004\'s `ifconfig eth0:2 $vip netmask 255.255.255.255`. ' +
        'Default: the network\'s prefix (seed 000\'s /16).'),
    vipHostRoute: z
      .boolean()
      .default(false)
      .describe('Seed 004\'s `route add -host $vip dev eth0:2`: a host route to the VIP through its alias. Default false.'),
  })
  .describe('The director: exactly one per scenario.');

const realServer = z
  .strictObject({
    ...nodeCommon,
    role: z.literal('real-server').describe('A real server: runs the web server the director balances to.'),
    page: text(4096)
      .min(1)
      .refine((page) => !page.includes('\0'), { message: 'contains a NUL character, which no command line can carry' })
      .describe('The text its web server serves (/var/www/html/index.html), e.g. "from rs1 server...": how the client tells who answered.'),
    weight: z
      .number()
      .int()
      .min(0)
      .max(65535)
      .default(1)
      .describe('`ipvsadm -a ... -w WEIGHT`: its share under weighted schedulers (wrr, wlc, ...); 0 takes it out of new scheduling. Default 1.'),
    forwarding: z.enum(FORWARDING).optional().describe('This real server\'s forwarding method, if not the scenario\'s `forwarding`: dr (-g), nat (-m) or tun (-i).'),
    port: port
      .optional()
      .describe('TCP/UDP port its web server listens on. Only NAT can map the VIP\'s port to another (VIP:80 -> RIP:8080). Default: service.port.'),
    arpSuppression: z
      .boolean()
      .default(true)
      .describe(
        'DR/TUN: set arp_ignore=1 and arp_announce=2 before the VIP goes on lo, so only the director answers ARP for the VIP. ' +
          'Default true; false shows the ARP problem (seed 004: a real server answers for the VIP and the director is bypassed).',
      ),
    webServer: z
      .enum(WEB_SERVERS)
      .default('httpd')
      .describe('The web server it runs: `httpd` (Apache, `systemctl start httpd`, seeds 000-003) or `nginx` ' +
        '(`systemctl start nginx`, seeds 003\'s cluster and 004). Both serve /var/www/html. Default httpd.'),
    vipHostRoute: z
      .boolean()
      .default(false)
      .describe('DR: seed 003/004\'s `route add -host $vip dev lo:0` after the VIP goes on lo. ' +
        'Default false (the /32 on lo already routes it).'),
  })
  .describe('A real server (RS) behind the VIP.');

const client = z
  .strictObject({
    ...nodeCommon,
    role: z.literal('client').describe('A client: `lab verify` sends its requests to the VIP from here.'),
  })
  .describe('A client node (not in the tutorials, which browsed from the host): `lab verify` needs requests from an address it controls.');

const service = z
  .strictObject({
    ...nodeCommon,
    role: z.literal('service').describe('A node of the application behind the real servers: no part of LVS.'),
  })
  .describe('A node that is neither director, real server nor client: seed 003\'s NFS server and MySQL server. ' +
    '`setup` configures it.');

const node = z
  .discriminatedUnion('role', [director, realServer, client, service])
  .describe('A container of the lab; `role` says which kind: director, real-server, client or service.');

/** When an application step runs: before the LVS roles (its services, the real servers' web stack), or after (the VIP). */
export const SETUP_PHASES = ['services', 'web', 'app'] as const;

const setupStep = z
  .strictObject({
    nodes: z
      .array(nodeName)
      .min(1)
      .max(64)
      .describe('The nodes it runs on (`nodes[].name`), one after the other: the same commands on each.'),
    phase: z
      .enum(SETUP_PHASES)
      .describe(
        'When it runs: `services` first (the NFS server, the database), `web` on the real servers before their ' +
          'LVS role (mount, nginx, php-fpm), ' +
          '`app` once the director balances (installing the application through the VIP).',
      ),
    run: text(16384)
      .min(1)
      .describe('The commands, as a shell script (`sh -c`): what the tutorial types, files written with here-documents.'),
    why: text(1024).min(1).describe('The tutorial\'s reason for the step, shown under it by `--dry-run` and `-v`.'),
  })
  .describe('One step of the application\'s setup (seed 003: exports, mount, database and grant, nginx and php-fpm, wp-config).');

export const scenarioSchema = z
  .strictObject({
    name: dnsLabel.describe('The lab\'s name: `lab up NAME`, `lab teardown NAME`, and the label on every container and network it makes.'),
    title: text(200).min(1).describe('One line saying what the lab shows, printed by `lab list` and the plan.'),
    seed: text(200).optional().describe('The tutorial in shared/seeds this scenario comes from, e.g. 000_b1166a4f114715ee.txt.'),
    description: text(4096).optional().describe('A longer explanation for people reading the file.'),
    instance: z
      .strictObject({
        of: dnsLabel.describe('The scenario it is an instance of (`rr-basic`): the io.lvs-lab.scenario label.'),
      })
      .optional()
      .describe('Set by `lab up SCENARIO --name NAME`, not by hand: this is instance NAME of a scenario, its containers ' +
        'and networks named NAME-<node> and NAME-<network>, its subnets picked free on the engine.'),
    defaults: z
      .strictObject({
        image: imageReference.default(DEBIAN_IMAGE).describe(`Docker image for nodes that do not set their own. Default ${DEBIAN_IMAGE}.`),
        init: initField.default('systemd').describe(`${INIT_TEXT} Default systemd.`),
        privilege: privilegeField.default('privileged').describe(`${PRIVILEGE_TEXT} Default privileged.`),
      })
      .prefault({})
      .describe('What every node gets unless it says otherwise; `lab up --image/--init/--privilege` override them for every node.'),
    networks: z.array(network).min(1).max(16).describe('The lab\'s Docker networks (at least one).'),
    service: z
      .strictObject({
        vip: ipv4.describe('The virtual IP clients call (`ipvsadm -A -t VIP:PORT`): on the director\'s interface, and hidden on lo (DR) or tunl0 (TUN) of the real servers.'),
        port: port.default(80).describe('The virtual service\'s port. Default 80.'),
        protocol: z.enum(['tcp', 'udp']).default('tcp').describe('`ipvsadm -A -t` (tcp) or `-u` (udp). Default tcp.'),
        scheduler: z
          .enum(SCHEDULERS)
          .default('rr')
          .describe('`ipvsadm -s`: rr round robin, wrr weighted rr, lc least-connection, wlc weighted lc, sh source hashing, ... Each is the kernel module ip_vs_<name>. Default rr.'),
        persistence: z
          .number()
          .int()
          .min(1)
          .optional()
          .describe('`ipvsadm -p SECONDS`: a client keeps going to the same real server for this many seconds after its last connection. Default: none.'),
        network: z.string().optional().describe('The network the VIP lives on (a `networks[].name`). Default: the director\'s first network.'),
        pagePath: z
          .string()
          .regex(/^\/[A-Za-z0-9._~\/-]*$/, 'a URL path like / or /rs.html')
          .max(200)
          .default('/')
          .describe('The URL path `lab verify` requests through the VIP: where each real server serves its own page. ' +
            'Default /. An application lab (wordpress) serves the application at / and the pages beside it.'),
        clearFirst: z
          .boolean()
          .default(false)
          .describe('Seed 004\'s `ipvsadm -C` before `-A`: start from an empty table, so the script can run again. ' +
            'Default false.'),
        manager: z
          .enum(['ipvsadm', 'keepalived'])
          .default('ipvsadm')
          .describe('Who writes the IPVS table: `ipvsadm` by hand (the tutorials), or keepalived, which also health-checks each real server over HTTP and takes it out of the table while it fails. Default ipvsadm.'),
        checkInterval: z
          .number()
          .int()
          .min(1)
          .max(60)
          .default(2)
          .describe('keepalived only: seconds between HTTP checks of each real server (delay_loop). Default 2.'),
      })
      .describe('The virtual service the director balances.'),
    forwarding: z
      .enum(FORWARDING)
      .default('dr')
      .describe('Forwarding method of real servers that do not set their own: dr direct routing (-g, the tutorial\'s), nat masquerading (-m), tun IP-in-IP tunneling (-i). Default dr.'),
    nodes: z.array(node).min(1).max(64).describe('The containers: exactly one director, at least one real-server and at least one client.'),
    app: z
      .strictObject({
        kind: z.literal('wordpress').describe('The application: WordPress (seed 003).'),
        user: text(60)
          .min(1)
          .describe('Its administrator, as the install page (or `setup`) created it: ' +
            '`lab verify` posts through the VIP as this user (XML-RPC).'),
        password: text(200).min(1).describe('That administrator\'s password.'),
        sharedDir: z
          .string()
          .regex(/^\/[A-Za-z0-9._\/-]+$/, 'an absolute path')
          .describe('Where every real server mounts the code shared over NFS (seed 003: /wordpress): ' +
            '`lab verify` writes a file there on one and reads it on the other.'),
      })
      .optional()
      .describe('The application behind the VIP, for `lab verify` to prove: answers through the VIP, shared database, ' +
        'shared files, one real server down. Default: none (static pages).'),
    setup: z
      .array(setupStep)
      .max(64)
      .default([])
      .describe('The application\'s setup steps, in order within each phase (seed 003\'s WordPress cluster). ' +
        'Default: none (the static pages).'),
  })
  .describe('An lvs-lab scenario: a classic LVS tutorial as data. `lab up FILE` builds it in Docker; `lab show rr-basic` prints one to start from.')
  .superRefine((s, ctx) => {
    const issue = (path: PropertyKey[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    const networks = new Map<string, z.infer<typeof network>>();
    s.networks.forEach((n, i) => {
      if (networks.has(n.name)) issue(['networks', i, 'name'], `network "${n.name}" is declared twice`);
      networks.set(n.name, n);
    });
    const seenNames = new Set<string>();
    const seenAddresses = new Map<string, string>();
    s.nodes.forEach((n, i) => {
      if (typeof n !== 'object' || n === null) return;
      if (seenNames.has(n.name)) issue(['nodes', i, 'name'], `node "${n.name}" is declared twice`);
      seenNames.add(n.name);
      if (n.address !== undefined && n.addresses !== undefined) {
        issue(['nodes', i], 'give either address or addresses, not both');
        return;
      }
      let pairs: Array<[string, string, (string | number)[]]> = [];
      if (n.address !== undefined) {
        if (s.networks.length !== 1) {
          issue(['nodes', i, 'address'], 'this scenario has several networks: use addresses: { <network>: <ip> }');
          return;
        }
        pairs = [[s.networks[0]!.name, n.address, ['nodes', i, 'address']]];
      } else if (n.addresses !== undefined) {
        pairs = Object.entries(n.addresses).map(([net, ip]) => [net, ip, ['nodes', i, 'addresses', net]]);
        if (pairs.length === 0) issue(['nodes', i, 'addresses'], 'needs at least one network');
      } else {
        issue(['nodes', i, 'address'], 'every node needs an address');
      }
      for (const [netName, ip, path] of pairs) {
        if (typeof ip !== 'string' || !isIpv4(ip)) continue; // already reported as not an IPv4 address
        const net = networks.get(netName);
        if (!net) {
          issue(path, `no network named "${netName}"`);
          continue;
        }
        const subnet = parseCidr(net.subnet);
        if (!subnet) continue;
        const problem = hostAddressProblem(subnet, ip);
        if (problem) issue(path, problem);
        if (ip === s.service.vip) issue(path, 'is the VIP; the VIP is added by the lab, give the node its own address');
        const key = `${netName}/${ip}`;
        const other = seenAddresses.get(key);
        if (other) issue(path, `${ip} is already ${other}'s address`);
        seenAddresses.set(key, n.name);
      }
    });

    const directors = s.nodes.filter((n) => n.role === 'director');
    if (directors.length !== 1) issue(['nodes'], `needs exactly one director, found ${directors.length}`);
    if (!s.nodes.some((n) => n.role === 'real-server')) issue(['nodes'], 'needs at least one real-server');
    if (!s.nodes.some((n) => n.role === 'client')) {
      issue(['nodes'], 'needs a client node: verify sends its requests from there');
    }

    const vipNetworkName = s.service.network ?? (directors[0] ? nodeNetworkNames(directors[0], s.networks)[0] : undefined);
    const vipNetwork = vipNetworkName ? networks.get(vipNetworkName) : undefined;
    if (s.service.network !== undefined && !vipNetwork) {
      issue(['service', 'network'], `no network named "${s.service.network}"`);
    } else if (vipNetwork) {
      const subnet = parseCidr(vipNetwork.subnet);
      const problem = subnet && isIpv4(s.service.vip) ? hostAddressProblem(subnet, s.service.vip) : undefined;
      if (problem) issue(['service', 'vip'], `${problem} (network ${vipNetwork.name})`);
    }

    const pageOwners = new Map<string, string>();
    s.nodes.forEach((n, i) => {
      if (n.role !== 'real-server') return;
      if (typeof n.page === 'string') {
        // verify names the server that answered by its page, compared trimmed.
        const other = pageOwners.get(n.page.trim());
        if (other) issue(['nodes', i, 'page'], `the same page as ${other}: verify tells real servers apart by their pages`);
        pageOwners.set(n.page.trim(), n.name);
      }
      const method = n.forwarding ?? s.forwarding;
      if (n.port !== undefined && n.port !== s.service.port && method !== 'nat') {
        issue(['nodes', i, 'port'], `only NAT can map ports; ${method.toUpperCase()} keeps the VIP's port ${s.service.port}`);
      }
      if (method === 'dr' && directors[0]) {
        const shared = nodeNetworkNames(n, s.networks).filter((net) => nodeNetworkNames(directors[0]!, s.networks).includes(net));
        if (shared.length === 0) issue(['nodes', i], 'DR needs the real server on the same L2 network as the director');
      }
    });

    (s.setup ?? []).forEach((step, i) => {
      (Array.isArray(step?.nodes) ? step.nodes : []).forEach((name, j) => {
        if (!seenNames.has(name)) issue(['setup', i, 'nodes', j], `no node named "${name}"`);
      });
    });

    const labelBytes = labelSizeOnTheWire(s);
    if (labelBytes > MAX_LABEL_BYTES) {
      const sizes = `${Math.ceil(labelBytes / 1024)} KB as sent to Docker in each container's labels, at most ${MAX_LABEL_BYTES / 1024} KB`;
      issue([], `the scenario is ${sizes}: shorten pages and descriptions, or use fewer nodes`);
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
export type ServiceNode = Extract<ScenarioNode, { role: 'service' }>;
export type SetupStep = Scenario['setup'][number];
export type SetupPhase = (typeof SETUP_PHASES)[number];
export type WebServer = (typeof WEB_SERVERS)[number];
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
