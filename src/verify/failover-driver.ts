import { LIST } from '../lvs/ipvsadm.js';
import { parseList } from '../lvs/parse.js';
import { webControl } from '../lvs/web-server.js';
import { sleep, type DockerRuntime } from '../runtime/docker.js';
import { clients, director, initOf, realServerInterface, realServers } from '../scenario/model.js';
import type { Scenario } from '../scenario/schema.js';
import { checkFailover } from './failover.js';
import { sendRequests } from './requests.js';
import { checkScheduling, weightedServers } from './schedule.js';
import type { Traffic } from './types.js';

/** How long keepalived may take to drop or restore a server before the check says it never did. */
const TABLE_WAIT_MS = 60_000;

/**
 * keepalived's promise: stop the first real server's web server, time until the director drops it, send
 * requests during the outage, start it again, time until it is back, send requests again.
 */
export async function driveFailover(runtime: DockerRuntime, scenario: Scenario, count: number): Promise<Traffic> {
  const client = clients(scenario)[0]!.name;
  const victim = realServers(scenario)[0]!;
  const web = (action: 'start' | 'stop') =>
    runtime.exec(victim.name, webControl(victim.webServer, initOf(scenario, victim), action));
  const inTable = tableWatch(runtime, scenario, realServerInterface(scenario, victim).address);

  const before = await sendRequests(runtime, scenario, client, count);
  await web('stop');
  const removedAfter = await inTable(false);
  const during = await sendRequests(runtime, scenario, client, count);
  await web('start');
  const restoredAfter = await inTable(true);
  const after = await sendRequests(runtime, scenario, client, count);

  const { checkInterval, scheduler } = scenario.service;
  const outage = { server: victim.name, checkInterval, removedAfter, restoredAfter };
  return {
    command: `${before.command}; lab web stop ${victim.name}; (requests); lab web start ${victim.name}; (requests)`,
    requests: [...before.results, ...during.results, ...after.results].map((r, index) => ({ ...r, index })),
    checks: [
      checkScheduling(scheduler, weightedServers(scenario), before.results),
      checkFailover({ ...outage, during: during.results, after: after.results }),
    ],
  };
}

/** Waits until ADDRESS is (or is no longer) in the director's table: seconds it took, or undefined. */
function tableWatch(runtime: DockerRuntime, scenario: Scenario, address: string) {
  const listed = async () => parseList((await runtime.exec(director(scenario).name, LIST)).stdout)
    .some((s) => s.realServers.some((r) => r.address === address));
  return async (present: boolean): Promise<number | undefined> => {
    const t0 = performance.now();
    while (performance.now() - t0 < TABLE_WAIT_MS) {
      if ((await listed()) === present) return (performance.now() - t0) / 1000;
      await sleep(250);
    }
    return undefined;
  };
}
