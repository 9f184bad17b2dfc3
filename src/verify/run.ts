import { LIST_CONNECTIONS, LIST_STATS } from '../lvs/ipvsadm.js';
import { parseConnections, parseStats, type Connection, type ServiceStats } from '../lvs/parse.js';
import { sleep, type DockerRuntime } from '../runtime/docker.js';
import { clients, director, realServers } from '../scenario/model.js';
import type { Scenario } from '../scenario/schema.js';
import { sendRequests } from './requests.js';
import { checkScheduling } from './schedule.js';
import type { CheckResult, RequestResult } from './types.js';

export interface VerifyReport {
  lab: string;
  vip: string;
  port: number;
  scheduler: string;
  client: string;
  requestCommand: string;
  requests: RequestResult[];
  checks: CheckResult[];
  director: {
    stats: { command: string; output: string; services: ServiceStats[] };
    connections: { command: string; output: string; entries: Connection[] };
  };
  ok: boolean;
}

// IPVS folds its per-CPU counters into `--stats` every 2 s (the rate estimator); read after that.
const STATS_SETTLE_MS = 2200;

export async function verifyLab(runtime: DockerRuntime, scenario: Scenario, opts: { requests: number }): Promise<VerifyReport> {
  const client = clients(scenario)[0]!.name;
  const dir = director(scenario).name;
  const { command, results } = await sendRequests(runtime, scenario, client, opts.requests);
  const checks = [
    checkScheduling(
      scenario.service.scheduler,
      realServers(scenario).map((rs) => ({ name: rs.name, weight: rs.weight })),
      results,
    ),
  ];
  await sleep(STATS_SETTLE_MS);
  const stats = await runtime.exec(dir, LIST_STATS);
  const conns = await runtime.exec(dir, LIST_CONNECTIONS);
  return {
    lab: scenario.name,
    vip: scenario.service.vip,
    port: scenario.service.port,
    scheduler: scenario.service.scheduler,
    client,
    requestCommand: command,
    requests: results,
    checks,
    director: {
      stats: { command: LIST_STATS.join(' '), output: stats.stdout + stats.stderr, services: parseStats(stats.stdout) },
      connections: { command: LIST_CONNECTIONS.join(' '), output: conns.stdout + conns.stderr, entries: parseConnections(conns.stdout) },
    },
    ok: checks.every((c) => c.status !== 'fail'),
  };
}
