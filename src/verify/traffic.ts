import { LIST_CONNECTIONS } from '../lvs/ipvsadm.js';
import { parseConnections, type Connection } from '../lvs/parse.js';
import { shServerFor } from '../lvs/sh-hash.js';
import { sleep, type DockerRuntime } from '../runtime/docker.js';
import { addressOn, clients, director, realServerInterface, realServers, vipInterface } from '../scenario/model.js';
import type { RealServerNode, Scenario } from '../scenario/schema.js';
import { driveFailover } from './failover-driver.js';
import { sendRequests } from './requests.js';
import {
  checkLeastConnection, checkPersistence, checkScheduling, checkSourceHashing, weightedServers,
} from './schedule.js';
import type { Traffic } from './types.js';

/** Each scheduler promises something different: send the traffic that shows it, and judge it. */
export async function sendSchedulerTraffic(
  runtime: DockerRuntime, scenario: Scenario, count: number,
): Promise<Traffic> {
  const { scheduler, persistence, manager } = scenario.service;
  const first = clients(scenario)[0]!.name;
  if (manager === 'keepalived') return driveFailover(runtime, scenario, count);
  if (persistence !== undefined) {
    const { command, results } = await sendRequests(runtime, scenario, first, count);
    return { command, requests: results, checks: [checkPersistence(persistence, results)] };
  }
  if (scheduler === 'sh') return sourceHashingTraffic(runtime, scenario, count);
  if (scheduler === 'lc' || scheduler === 'wlc') return leastConnectionTraffic(runtime, scenario, first, count);
  const { command, results } = await sendRequests(runtime, scenario, first, count);
  return { command, requests: results, checks: [checkScheduling(scheduler, weightedServers(scenario), results)] };
}

const clientAddress = (scenario: Scenario, client: string) =>
  addressOn(scenario, clients(scenario).find((c) => c.name === client)!, vipInterface(scenario).network);

/** sh: every client sends its own requests; each should land on the server IPVS's hash of its address picks. */
async function sourceHashingTraffic(runtime: DockerRuntime, scenario: Scenario, count: number): Promise<Traffic> {
  const perClient = [];
  let command = '';
  for (const c of clients(scenario)) {
    const sent = await sendRequests(runtime, scenario, c.name, count);
    command = sent.command;
    const expected = shServerFor(clientAddress(scenario, c.name)!, weightedServers(scenario));
    perClient.push({ client: c.name, expected, requests: sent.results });
  }
  return { command, requests: perClient.flatMap((p) => p.requests), checks: [checkSourceHashing(perClient)] };
}

/** lc and wlc: with one connection held open on a server, new ones should go elsewhere. */
async function leastConnectionTraffic(
  runtime: DockerRuntime, scenario: Scenario, client: string, count: number,
): Promise<Traffic> {
  const held = await holdConnection(runtime, scenario, client);
  try {
    const { command, results } = await sendRequests(runtime, scenario, client, count);
    const checks = [checkLeastConnection(held.server, results)];
    return { command: `${held.command}; ${command}`, requests: results, checks };
  } finally {
    await runtime.exec(client, ['sh', '-c', `kill ${held.pid} 2>/dev/null; true`]);
  }
}

interface HeldConnection {
  command: string;
  pid: string;
  /** The real server the director gave it, or undefined when no ESTABLISHED entry showed up. */
  server: string | undefined;
}

/**
 * Opens one TCP connection to the VIP and keeps it open (half a request, so the web server waits),
 * then reads from the director which real server holds it.
 */
async function holdConnection(runtime: DockerRuntime, scenario: Scenario, client: string): Promise<HeldConnection> {
  const { vip, port } = scenario.service;
  const holder = `bash -c 'exec 3<>/dev/tcp/${vip}/${port}; printf "GET / HTTP/1.1\\r\\nHost: lab\\r\\n" >&3; sleep 60'`;
  const r = await runtime.exec(client, ['sh', '-c', `${holder} </dev/null >/dev/null 2>&1 & echo $!`]);
  const server = await serverHolding(runtime, scenario, clientAddress(scenario, client));
  return { command: `${holder} &`, pid: r.stdout.trim(), server };
}

/** The real server of the client's ESTABLISHED entry in `ipvsadm -Lnc`, polled for up to 5 s. */
async function serverHolding(
  runtime: DockerRuntime, scenario: Scenario, clientIp: string | undefined,
): Promise<string | undefined> {
  const { vip } = scenario.service;
  const addressOf = (rs: RealServerNode) => realServerInterface(scenario, rs).address;
  for (let i = 0; i < 20; i++) {
    await sleep(250);
    const conns = parseConnections((await runtime.exec(director(scenario).name, LIST_CONNECTIONS)).stdout);
    const held = (c: Connection) => c.state === 'ESTABLISHED' && c.source.address === clientIp && c.virtual.address === vip;
    const entry = conns.find(held);
    const server = entry && realServers(scenario).find((rs) => addressOf(rs) === entry.destination.address);
    if (server) return server.name;
  }
  return undefined;
}
