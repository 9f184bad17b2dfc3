import type { DockerRuntime } from '../runtime/docker.js';
import { realServers } from '../scenario/model.js';
import type { Scenario } from '../scenario/schema.js';
import type { RequestResult } from './types.js';

const MARK = '@@lab-request-exit=';

/**
 * `curl` from the client, one process (so one new TCP connection) per request: IPVS schedules connections,
 * not requests, so keep-alive would hide the balancing. One exec for all keeps it fast on slow machines.
 */
export function requestScript(scenario: Scenario, count: number): string {
  const { vip, port } = scenario.service;
  const url = `http://${vip}${port === 80 ? '' : `:${port}`}${scenario.service.pagePath}`;
  return `for i in $(seq ${count}); do curl -s -m 5 ${url}; printf '\\n${MARK}%s\\n' $?; done`;
}

/** Splits the script's output into one result per request and names the server from its page. */
export function parseRequestOutput(scenario: Scenario, client: string, output: string): RequestResult[] {
  const pages = new Map(realServers(scenario).map((rs) => [rs.page.trim(), rs.name]));
  const results: RequestResult[] = [];
  const pattern = new RegExp(`([\\s\\S]*?)\\n${MARK}(\\d+)\\n`, 'g');
  for (const m of output.matchAll(pattern)) {
    const body = m[1]!.trim();
    const curlExit = Number(m[2]);
    results.push({ index: results.length, client, server: curlExit === 0 ? (pages.get(body) ?? null) : null, body, curlExit });
  }
  return results;
}

export async function sendRequests(runtime: DockerRuntime, scenario: Scenario, client: string, count: number): Promise<{ command: string; results: RequestResult[] }> {
  const command = requestScript(scenario, count);
  const r = await runtime.exec(client, ['sh', '-c', command], { timeoutMs: (count * 6 + 10) * 1000 });
  return { command, results: parseRequestOutput(scenario, client, r.stdout) };
}
