import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL, labLabels } from '../../src/labels.js';
import { teardown } from '../../src/lab/teardown.js';
import { DockerRuntime } from '../../src/runtime/docker.js';
import { realServers } from '../../src/scenario/model.js';
import { captureOn, startCapture, stopCapture } from '../../src/verify/capture.js';
import { parseTcpdump } from '../../src/verify/packets.js';
import { parseRequestOutput, requestScript, sendRequests } from '../../src/verify/requests.js';
import { ensureHostImage } from '../helpers/image.js';
import { builtinScenario } from '../helpers/builtin.js';

// What verify runs in the nodes' shells, as it runs it, from a client container to a web server on an internal
// network the test made (no IPVS needed): the requests, one result per request, each its own TCP connection (IPVS
// balances connections), with curl's exit code, with today's curl and with one that has no %{exitcode} (CentOS 7's
// 7.29); the captures, with today's tcpdump and with one that has no --print (CentOS 7's 4.9).
const id = randomBytes(3).toString('hex');
const LAB = `req-${id}`;
const NET = `lvslab-req-${id}`;
const [SERVER_IP, CLIENT_IP] = ['10.214.0.10', '10.214.0.50'];
const rrBasic = builtinScenario('rr-basic');
const scenario = { ...rrBasic, name: LAB, service: { ...rrBasic.service, vip: SERVER_IP } };
const page = realServers(scenario)[0]!.page;
const labels = labLabels(scenario, 'test:requests');
const [server, client] = [`${LAB}-server`, `${LAB}-client`];

const runtime = await DockerRuntime.connect();
const image = await ensureHostImage(runtime);
const container = (name: string, address: string) => runtime.runContainer({
  name, hostname: name, image, init: 'none', privilege: 'minimal', interfaces: [{ network: NET, address }],
  sysctls: {}, labels: { ...labels, [LABEL.node]: name },
});
const sh = async (name: string, script: string) => {
  const r = await runtime.exec(name, ['sh', '-c', script], { timeoutMs: 60_000 });
  expect(r.exitCode, `${script}\n${r.stdout}${r.stderr}`).toBe(0);
  return r.stdout;
};

// Both curls count their runs. The old one is like 7.29: unknown --write-out variables print nothing (and a warning).
const CURL = `#!/bin/sh
echo run >>/tmp/curl-runs
exec /usr/bin/curl "$@"
`;
const OLD_CURL = `#!/bin/sh
echo run >>/tmp/curl-runs
for a; do shift; set -- "$@" "$(printf '%s' "$a" | sed 's/%{exitcode}//g')"; done
echo 'curl: unknown --write-out variable: exitcode' >&2
exec /usr/bin/curl "$@"
`;
// A tcpdump like 4.9: no --print (it says so and stops); the rest is the real one.
const OLD_TCPDUMP = `#!/bin/sh
case " $* " in *" --print "*) echo "tcpdump: unrecognized option '--print'" >&2; exit 1 ;; esac
exec /usr/bin/tcpdump "$@"
`;
// A curl killed after its first request (as out of memory or time would): the other URLs it was given never go.
const KILLED_CURL = `#!/bin/sh
n=0; for a; do shift; case $a in http://*) n=$((n + 1)); [ $n -gt 1 ] && continue ;; esac; set -- "$@" "$a"; done
/usr/bin/curl "$@"; kill -KILL $$
`;
// A tcpdump that says it listens and then ignores SIGINT (sleep keeps the ignored signal; it is this process).
const STUCK_TCPDUMP = `#!/bin/sh
trap '' INT
echo 'listening on eth0' >&2
exec sleep 300
`;
const install = (path: string, script: string) =>
  sh(client, `mkdir -p ${dirname(path)} && printf '%s' '${script.replaceAll("'", `'\\''`)}' >${path} && chmod +x ${path}`);

/** The requests as verify sends them, with tcpdump counting the SYNs that open a connection to the server. */
async function send(count: number, path: string) {
  const syns = `tcp[tcpflags] & tcp-syn != 0 and tcp[tcpflags] & tcp-ack == 0 and dst host ${SERVER_IP}`;
  await sh(client, 'rm -f /tmp/syns /tmp/syns.log; ' +
    `(tcpdump -i eth0 --immediate-mode -n -l '${syns}' >/tmp/syns 2>/tmp/syns.log &) ; ` +
    `until grep -q 'listening on' /tmp/syns.log; do sleep 0.1; done`);
  const script = `rm -f /tmp/curl-runs; PATH=${path}:$PATH; ${requestScript(scenario, count)}`;
  const r = await runtime.exec(client, ['sh', '-c', script]);
  const lines = async (script: string) => (await sh(client, script)).split('\n').filter(Boolean).length;
  const connections = await lines('sleep 0.5; pkill tcpdump; sleep 0.2; cat /tmp/syns');
  return { results: parseRequestOutput(scenario, client, r.stdout), connections, curls: await lines('cat /tmp/curl-runs') };
}

beforeAll(async () => {
  await runtime.createNetwork({ name: NET, subnet: '10.214.0.0/24', internal: true, labels });
  await Promise.all([container(server, SERVER_IP), container(client, CLIENT_IP)]);
  await sh(server, `printf '%s\\n' '${page.trim()}' >/var/www/html/index.html && apache2ctl start`);
  await install('/tmp/curl/curl', CURL);
  await install('/tmp/old-curl/curl', OLD_CURL);
}, 300_000);

afterAll(async () => {
  await teardown(runtime, LAB).catch(() => undefined);
});

describe.each([
  // curl runs: one to see whether it knows %{exitcode}, then one for all or one per request.
  ['one curl for all the requests (curl 7.88)', '/tmp/curl', () => 2],
  ['one curl per request (a curl without %{exitcode})', '/tmp/old-curl', (n: number) => 1 + n],
])('verify requests: %s', (_, path, curlRuns) => {
  it('gives each request its own connection and the server\'s page', async () => {
    const { results, connections, curls } = await send(6, path);
    expect(results.map((r) => [r.server, r.curlExit])).toEqual(Array(6).fill([realServers(scenario)[0]!.name, 0]));
    expect(connections).toBe(6);
    expect(curls).toBe(curlRuns(6));
  }, 120_000);

  it('gives each request curl\'s own exit code when nothing answers', async () => {
    await sh(server, 'apache2ctl stop; while pgrep apache2 >/dev/null; do sleep 0.1; done');
    try {
      const { results, curls } = await send(3, path);
      expect(results.map((r) => [r.server, r.curlExit])).toEqual(Array(3).fill([null, 7]));
      expect(curls).toBe(curlRuns(3));
    } finally {
      await sh(server, 'apache2ctl start');
    }
  }, 120_000);
});

it('counts the requests a curl killed partway never sent as failed, each with the exit it died with', async () => {
  await install('/usr/local/bin/curl', KILLED_CURL);
  try {
    const { results } = await sendRequests(runtime, scenario, client, 4);
    const first = [realServers(scenario)[0]!.name, 0];
    const killed = [1, 2, 3].map((index) => [index, null, 137]);
    expect(results.map((r) => [r.index, r.server, r.curlExit])).toEqual([[0, ...first], ...killed]);
  } finally {
    await sh(client, 'rm -f /usr/local/bin/curl');
  }
}, 120_000);

describe.each([
  ['tcpdump 4.99 (prints while it writes)', false],
  ['a tcpdump without --print (reads its file back)', true],
])('verify captures: %s', (_, old) => {
  it('sees every packet of the requests sent while it listens, and stops', async () => {
    // /usr/local/bin comes before /usr/bin in an exec's PATH: there the old tcpdump stands in for the real one.
    if (old) await install('/usr/local/bin/tcpdump', OLD_TCPDUMP);
    try {
      const capture = captureOn(client, 'eth0', `tcp port 80 and host ${SERVER_IP}`);
      await startCapture(runtime, capture);
      await sh(client, `for i in 1 2; do curl -s -o /dev/null http://${SERVER_IP}/; done`);
      const [text = ''] = await stopCapture(runtime, capture);
      const packets = parseTcpdump(text);
      const opening = packets.filter((p) => p.flags === 'S' && p.srcIp === CLIENT_IP && p.dstIp === SERVER_IP);
      const answers = packets.filter((p) => p.flags === 'S.' && p.srcIp === SERVER_IP);
      expect([opening.length, answers.length], text).toEqual([2, 2]);
      expect(await sh(client, 'pgrep -x tcpdump || true')).toBe('');
    } finally {
      await sh(client, 'rm -f /usr/local/bin/tcpdump');
    }
  }, 120_000);
});

it('stops a capture whose tcpdump ignores SIGINT (killed after a wait), within the exec\'s time bound', async () => {
  await install('/usr/local/bin/tcpdump', STUCK_TCPDUMP);
  try {
    const capture = captureOn(client, 'eth0', 'tcp port 80');
    await startCapture(runtime, capture);
    expect(await sh(client, "pgrep -f '^sleep 300' || true")).not.toBe('');
    expect(await stopCapture(runtime, capture)).toEqual(['']);
    expect(await sh(client, "pgrep -f '^sleep 300' || true")).toBe('');
  } finally {
    await sh(client, 'rm -f /usr/local/bin/tcpdump');
  }
}, 120_000);
