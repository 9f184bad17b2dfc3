import { parseCidr } from './ipv4.js';
import type {
  ClientNode,
  DirectorNode,
  Forwarding,
  InitMode,
  InitSetting,
  PrivilegeProfile,
  PrivilegeSetting,
  RealServerNode,
  Scenario,
  ScenarioNode,
  ServiceNode,
} from './schema.js';

/** Read-only views over a validated scenario, so the planner and verifier never re-derive them. */

export interface NodeInterface {
  network: string;
  address: string;
  /** `eth0`, `eth1`, ... in the order the node joins its networks. */
  device: string;
  prefix: number;
}

export function nodeInterfaces(scenario: Scenario, node: ScenarioNode): NodeInterface[] {
  const pairs: Array<[string, string]> = node.addresses
    ? Object.entries(node.addresses)
    : [[scenario.networks[0]!.name, node.address!]];
  return pairs.map(([network, address], i) => ({
    network,
    address,
    device: `eth${i}`,
    prefix: parseCidr(scenario.networks.find((n) => n.name === network)!.subnet)!.prefix,
  }));
}

export function director(scenario: Scenario): DirectorNode {
  return scenario.nodes.find((n): n is DirectorNode => n.role === 'director')!;
}

export function realServers(scenario: Scenario): RealServerNode[] {
  return scenario.nodes.filter((n): n is RealServerNode => n.role === 'real-server');
}

export function clients(scenario: Scenario): ClientNode[] {
  return scenario.nodes.filter((n): n is ClientNode => n.role === 'client');
}

/** Nodes of the application behind the real servers (seed 003's NFS and MySQL servers). */
export function serviceNodes(scenario: Scenario): ServiceNode[] {
  return scenario.nodes.filter((n): n is ServiceNode => n.role === 'service');
}

/** A real server's first interface: the address the director's table uses for it (`ipvsadm -a ... -r`). */
export function realServerInterface(scenario: Scenario, rs: RealServerNode): NodeInterface {
  return nodeInterfaces(scenario, rs)[0]!;
}

export function forwardingOf(scenario: Scenario, rs: RealServerNode): Forwarding {
  return rs.forwarding ?? scenario.forwarding;
}

export function serverPort(scenario: Scenario, rs: RealServerNode): number {
  return rs.port ?? scenario.service.port;
}

export function initSettingOf(scenario: Scenario, node: ScenarioNode): InitSetting {
  return node.init ?? scenario.defaults.init;
}

export function privilegeSettingOf(scenario: Scenario, node: ScenarioNode): PrivilegeSetting {
  return node.privilege ?? scenario.defaults.privilege;
}

/** The node's init; `auto` must have been decided on the engine first (resolveAuto). */
export function initOf(scenario: Scenario, node: ScenarioNode): InitMode {
  const init = initSettingOf(scenario, node);
  if (init === 'auto') throw new Error(`init of ${node.name} is still "auto": resolve it on the engine first`);
  return init;
}

/** The node's privilege profile; `auto` must have been decided on the engine first (resolveAuto). */
export function privilegeOf(scenario: Scenario, node: ScenarioNode): PrivilegeProfile {
  const privilege = privilegeSettingOf(scenario, node);
  if (privilege === 'auto') throw new Error(`privilege of ${node.name} is still "auto": resolve it on the engine first`);
  return privilege;
}

export function imageOf(scenario: Scenario, node: ScenarioNode): string {
  return node.image ?? scenario.defaults.image;
}

/** The director's interface on the network the VIP lives on. */
export function vipInterface(scenario: Scenario): NodeInterface {
  const ifaces = nodeInterfaces(scenario, director(scenario));
  const wanted = scenario.service.network;
  return (wanted ? ifaces.find((i) => i.network === wanted) : undefined) ?? ifaces[0]!;
}

/** A node's address on a given network, if it has one there. */
export function addressOn(scenario: Scenario, node: ScenarioNode, network: string): string | undefined {
  return nodeInterfaces(scenario, node).find((i) => i.network === network)?.address;
}

export interface ScenarioOverrides {
  init?: InitSetting | undefined;
  privilege?: PrivilegeSetting | undefined;
  image?: string | undefined;
  /** Let lab containers reach outside networks (e.g. to install packages by hand). */
  egress?: boolean | undefined;
}

/** Command-line overrides apply to every node, whatever the file says. */
export function applyOverrides(scenario: Scenario, overrides: ScenarioOverrides): Scenario {
  const pick = <T>(override: T | undefined, own: T | undefined) => (override !== undefined ? override : own);
  return {
    ...scenario,
    networks: overrides.egress ? scenario.networks.map((n) => ({ ...n, internal: false })) : scenario.networks,
    nodes: scenario.nodes.map((n) => ({
      ...n,
      init: pick(overrides.init, n.init),
      privilege: pick(overrides.privilege, n.privilege),
      image: pick(overrides.image, n.image),
    })),
  };
}
