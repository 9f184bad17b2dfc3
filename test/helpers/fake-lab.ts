import type { DirectorState, LabActions, NodeAction } from '../../src/ui/actions.js';
import type { Hop } from '../../src/verify/dr.js';
import { parseList, parseStats } from '../../src/lvs/parse.js';
import { realServerRolePlan, webServicePlan } from '../../src/plan/role.js';
import { realServerInterface, realServers, serverPort } from '../../src/scenario/model.js';
import type { Scenario } from '../../src/scenario/schema.js';

/**
 * A stand-in for a running lab behind `lab ui`: a director whose table answers round robin, counts
 * connections, and loses a real server on `rs stop` (as the real command's `ipvsadm -d` does). Its
 * ipvsadm text goes through the real parsers. Its requests come back uncaptured (no hops) unless CAPTURED
 * gives the hops a capture would have seen for the answering server.
 */
export function fakeLab(scenario: Scenario, captured?: (server: string) => Hop[]): LabActions & { calls: NodeAction[] } {
  const servers = realServers(scenario).map((rs) => ({ name: rs.name, address: realServerInterface(scenario, rs).address, port: serverPort(scenario, rs), conns: 0, inTable: true }));
  const { vip, port } = scenario.service;
  let next = 0;
  const calls: NodeAction[] = [];
  const text = (rows: (s: (typeof servers)[number]) => string, head: string) =>
    [head, ...servers.filter((s) => s.inTable).map((s) => `  -> ${s.address}:${s.port}`.padEnd(34) + rows(s))].join('\n');
  return {
    calls,
    async state(): Promise<DirectorState> {
      const total = servers.reduce((n, s) => n + s.conns, 0);
      const list = text(() => 'Route   1      0          0', `TCP  ${vip}:${port} rr`);
      const stats = text((s) => `${s.conns}  ${s.conns * 6}  0  ${s.conns * 396}  0`, `TCP  ${vip}:${port}  ${total}  ${total * 6}  0  ${total * 396}  0`);
      return { at: new Date().toISOString(), list: parseList(list), stats: parseStats(stats), statsText: stats };
    },
    async sendRequests(count) {
      const results = Array.from({ length: count }, (_, index) => {
        const live = servers.filter((s) => s.inTable);
        const s = live[next++ % live.length]!;
        s.conns++;
        return { index, client: 'client', server: s.name, body: `from ${s.name}`, curlExit: 0, hops: captured?.(s.name) ?? null };
      });
      return { results, seconds: 0.1, captureSeconds: captured ? 0.05 : 0 };
    },
    async run(action) {
      const plan = (action.group === 'rs' ? realServerRolePlan : webServicePlan)(scenario, action.node, action.action); // the real plan: refuses a node that is no real server
      calls.push(action);
      const s = servers.find((x) => x.name === action.node)!;
      if (action.group === 'rs') s.inTable = action.action === 'start';
      return { ok: true, steps: plan.steps.map((step) => ({ phase: step.phase, node: action.node, command: step.command, exitCode: 0, stdout: '', stderr: '', seconds: 0, ok: true })) };
    },
  };
}
