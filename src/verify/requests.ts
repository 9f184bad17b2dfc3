import type { DockerRuntime } from '../runtime/docker.js';
import { realServers } from '../scenario/model.js';
import type { Scenario } from '../scenario/schema.js';
import type { RequestResult } from './types.js';

const MARK = '@@lab-request-exit=';

/**
 * `curl` from the client, a new TCP connection per request (`Connection: close`): IPVS schedules connections, not
 * requests, so keep-alive would hide the balancing. One curl for all of them (a process costs 0.1-0.2 s on a one-CPU
 * machine); a curl older than 7.75 (CentOS 7's) has no %{exitcode}, so it runs once per request instead.
 */
export function requestScript(scenario: Scenario, count: number): string {
  const { vip, port } = scenario.service;
  const url = `http://${vip}${port === 80 ? '' : `:${port}`}${scenario.service.pagePath}`;
  const curl = 'curl -s -m 5';
  const hasExitCode = `[ "$(${curl} -o /dev/null -w '%{exitcode}' file:///dev/null 2>/dev/null)" = 0 ]`;
  const oneCurl = `${curl} -H 'Connection: close' -w '\\n${MARK}%{exitcode}\\n' $urls`;
  const curlEach = `for u in $urls; do ${curl} $u; printf '\\n${MARK}%s\\n' $?; done`;
  // The URL list written out here, not built by a loop in the shell: its $(...) and seq are processes.
  return `urls='${Array<string>(count).fill(url).join(' ')}'; if ${hasExitCode}; then ${oneCurl}; else ${curlEach}; fi`;
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

/** COUNT requests from CLIENT (requestScript): the command, and one result per request. */
export async function sendRequests(
  runtime: DockerRuntime, scenario: Scenario, client: string, count: number,
): Promise<{ command: string; results: RequestResult[] }> {
  const command = requestScript(scenario, count);
  const r = await runtime.exec(client, ['sh', '-c', command], { timeoutMs: (count * 6 + 10) * 1000 });
  const results = parseRequestOutput(scenario, client, r.stdout);
  // A curl killed partway (out of time or memory) leaves the requests after it without a result: each one failed.
  const unanswered = (index: number): RequestResult => ({ index, client, server: null, body: '', curlExit: r.exitCode || -1 });
  for (let i = results.length; i < count; i++) results.push(unanswered(i));
  return { command, results };
}
