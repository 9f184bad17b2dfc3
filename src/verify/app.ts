import { randomBytes } from 'node:crypto';
import { realServerRolePlan } from '../plan/role.js';
import type { DockerRuntime } from '../runtime/docker.js';
import { clients, realServerInterface, realServers } from '../scenario/model.js';
import type { Scenario } from '../scenario/schema.js';
import type { CheckResult } from './types.js';

type WordpressApp = NonNullable<Scenario['app']>;
type Exec = (node: string, argv: string[]) => Promise<{ exitCode: number; stdout: string; stderr: string }>;

/** WordPress's own mark on every page it renders (`<meta name="generator" content="WordPress 6.1...">`, its paths). */
const WORDPRESS_MARK = /wp-content|wp-includes|content="WordPress/;
const CURL = ['curl', '-s', '-m', '15'];

/**
 * What seed 003's cluster promises besides LVS-DR: the application answers through the VIP, a post written
 * through the VIP is read back through each real server directly (one database), a file written on one real
 * server's NFS mount is seen on the other (one file tree), and with one real server's DR role stopped the
 * site still answers. Scenarios with setup steps but no `app` get one NOT CHECKED line, never a pass.
 */
export async function checkApplication(runtime: DockerRuntime, scenario: Scenario): Promise<CheckResult[]> {
  if (!scenario.app) {
    if (scenario.setup.length === 0) return [];
    const summary = 'The setup steps ran; the scenario names no `app`, so lab does not claim the application works.';
    return [{ id: 'app', title: 'Application', status: 'not-checked', summary }];
  }
  const exec: Exec = (node, argv) => runtime.exec(node, argv, { timeoutMs: 60_000 });
  const app = scenario.app;
  const answers = await checkAnswersThroughVip(exec, scenario);
  if (answers.status === 'fail') {
    const skipped = 'WordPress does not answer through the VIP: fix that first.';
    return [answers, ...(['app-database', 'app-files', 'app-one-down'] as const).map((id) => notChecked(id, skipped))];
  }
  return [
    answers,
    await checkSharedDatabase(exec, scenario, app),
    await checkSharedFiles(exec, scenario, app),
    await checkOneServerDown(exec, scenario),
  ];
}

const TITLES = {
  'app-vip': 'WordPress answers through the VIP',
  'app-database': 'A post written through the VIP is read through each real server (shared MySQL)',
  'app-files': 'A file written on one real server is seen on the other (shared NFS)',
  'app-one-down': 'With one real server\'s DR role stopped, the site still answers',
} as const;
type AppCheckId = keyof typeof TITLES;

const result = (id: AppCheckId, status: 'pass' | 'fail', summary: string, diagnosis?: string): CheckResult =>
  ({ id, title: TITLES[id], status, summary, ...(diagnosis ? { diagnosis } : {}) });
const notChecked = (id: AppCheckId, summary: string): CheckResult =>
  ({ id, title: TITLES[id], status: 'not-checked', summary });

const clientName = (scenario: Scenario) => clients(scenario)[0]!.name;
const vipUrl = (scenario: Scenario, path: string) =>
  `http://${scenario.service.vip}${scenario.service.port === 80 ? '' : `:${scenario.service.port}`}${path}`;
/** The start of what a server said, on one line, for a summary. */
const said = (text: string, length: number) => text.slice(0, length).replace(/\s+/g, ' ');

const VIP_DIAGNOSIS =
  'A 502 is nginx without php-fpm (`lab exec rs1 -- systemctl status php8.2-fpm`); a 404 or an empty page is the NFS ' +
  'mount missing (`lab exec rs1 -- mount -t nfs`); "Error establishing a database connection" is MySQL (bind-address, ' +
  'the grant to wpuser@172.16.%); the install page means the install step did not run. ' +
  'A timeout is LVS: see the DR checks above.';

async function checkAnswersThroughVip(exec: Exec, scenario: Scenario): Promise<CheckResult> {
  const url = vipUrl(scenario, '/');
  const r = await exec(clientName(scenario), [...CURL, '-w', '\n%{http_code}', url]);
  const code = r.stdout.trim().split('\n').at(-1);
  const isWordpress = WORDPRESS_MARK.test(r.stdout);
  if (r.exitCode === 0 && code === '200' && isWordpress) {
    return result('app-vip', 'pass', `GET ${url} from ${clientName(scenario)}: 200, a WordPress page.`);
  }
  const page = isWordpress ? 'a WordPress page' : `not a WordPress page ("${said(r.stdout, 80)}")`;
  return result('app-vip', 'fail', `GET ${url}: curl exit ${r.exitCode}, HTTP ${code ?? '?'}, ${page}.`, VIP_DIAGNOSIS);
}

/** An XML-RPC `wp.newPost` call: WordPress's API that takes the user and password in the request itself. */
function newPostCall(app: WordpressApp, title: string): string {
  const member = (name: string, value: string) =>
    `<member><name>${name}</name><value><string>${value}</string></value></member>`;
  const param = (value: string) => `<param><value><string>${value}</string></value></param>`;
  const content = 'Written through the VIP by lab verify.';
  const post = member('post_title', title) + member('post_status', 'publish') + member('post_content', content);
  return (
    '<?xml version="1.0"?><methodCall><methodName>wp.newPost</methodName><params>' +
    `<param><value><int>1</int></value></param>${param(escapeXml(app.user))}${param(escapeXml(app.password))}` +
    `<param><value><struct>${post}</struct></value></param>` +
    '</params></methodCall>'
  );
}

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const NEW_POST_ID = /<methodResponse>\s*<params>\s*<param>\s*<value>\s*<string>(\d+)<\/string>/;

async function checkSharedDatabase(exec: Exec, scenario: Scenario, app: WordpressApp): Promise<CheckResult> {
  const title = `lab verify ${randomBytes(4).toString('hex')}`;
  const xmlrpc = vipUrl(scenario, '/xmlrpc.php');
  const call = ['-H', 'Content-Type: text/xml', '--data-binary', newPostCall(app, title), xmlrpc];
  const post = await exec(clientName(scenario), [...CURL, ...call]);
  const id = NEW_POST_ID.exec(post.stdout)?.[1];
  if (!id) {
    return result('app-database', 'fail',
      `wp.newPost through ${xmlrpc} made no post (curl exit ${post.exitCode}: "${said(post.stdout, 160)}").`,
      `A faultString 403 is the user or password (app.user ${app.user}); no XML at all is php without its xml ` +
        'module or php-fpm down on the real server that answered.');
  }
  const reads = await Promise.all(realServers(scenario).map(async (rs) => {
    const address = realServerInterface(scenario, rs).address;
    // Straight to the real server's own address; the Host header is the site's, as WordPress knows it.
    const url = `http://${address}/?rest_route=/wp/v2/posts/${id}`;
    const r = await exec(clientName(scenario), [...CURL, '-H', `Host: ${scenario.service.vip}`, url]);
    return { server: rs.name, address, found: r.stdout.includes(title), said: said(r.stdout, 100) };
  }));
  const missing = reads.filter((r) => !r.found);
  if (missing.length === 0) {
    const through = reads.map((r) => `${r.server} (${r.address})`).join(' and ');
    return result('app-database', 'pass', `Post ${id} ("${title}"), written through the VIP, read through ${through} directly.`);
  }
  return result('app-database', 'fail',
    `Post ${id} was written through the VIP but ${missing.map((r) => `${r.server} answered "${r.said}"`).join('; ')}.`,
    'Every real server must use the same database: DB_HOST in wp-config.php (on the NFS share) must be the MySQL ' +
      'server, and the grant must cover every real server\'s address (seed 003: wpuser@\'172.16.%\').');
}

async function checkSharedFiles(exec: Exec, scenario: Scenario, app: WordpressApp): Promise<CheckResult> {
  const [writer, reader] = realServers(scenario);
  if (!writer || !reader) return notChecked('app-files', 'One real server: nothing to share a file with.');
  const token = randomBytes(6).toString('hex');
  const file = `${app.sharedDir}/lab-verify-${token}.txt`;
  // As the web servers' user: NFS maps root to nobody (root_squash), which may not write there (the seed's note).
  const asWebUser = (script: string) =>
    ['setpriv', '--reuid=www-data', '--regid=www-data', '--clear-groups', 'sh', '-c', script];
  const wrote = await exec(writer.name, asWebUser(`echo ${token} > ${file}`));
  const read = await exec(reader.name, ['cat', file]);
  await exec(writer.name, asWebUser(`rm -f ${file}`));
  if (wrote.exitCode === 0 && read.stdout.trim() === token) {
    return result('app-files', 'pass', `${file}, written on ${writer.name} as www-data, read on ${reader.name}.`);
  }
  return result('app-files', 'fail',
    wrote.exitCode !== 0
      ? `Writing ${file} on ${writer.name} failed: ${wrote.stderr.trim()}`
      : `${reader.name} does not see ${file} (${read.stderr.trim() || 'other content'}).`,
    `Both real servers must mount the NFS export at ${app.sharedDir} (\`lab exec ${reader.name} -- mount -t nfs\`); ` +
      '"Permission denied" is the export\'s owner (the seed chowns it to the web servers\' user) or a read-only export.');
}

/** `lab rs stop` on the first real server, requests through the VIP, `lab rs start` again. */
async function checkOneServerDown(exec: Exec, scenario: Scenario): Promise<CheckResult> {
  const [victim, ...rest] = realServers(scenario);
  if (!victim || rest.length === 0) return notChecked('app-one-down', 'One real server: stopping it stops the site.');
  const run = async (action: 'start' | 'stop') => {
    for (const step of realServerRolePlan(scenario, victim.name, action).steps) {
      if (step.kind !== 'exec') continue;
      const r = await exec(step.node, step.argv);
      if (r.exitCode !== 0) return `\`${step.command}\` on ${step.node} exited ${r.exitCode}: ${r.stderr.trim()}`;
    }
    return undefined;
  };
  const stopped = await run('stop');
  const tries = 4;
  const each = `curl -s -m 15 ${vipUrl(scenario, '/')} | grep -cE 'wp-content|wp-includes'`;
  const r = stopped ? undefined : await exec(clientName(scenario), ['sh', '-c', `for i in $(seq ${tries}); do ${each}; done`]);
  const started = await run('start');
  const answered = r ? r.stdout.trim().split('\n').filter((n) => Number(n) > 0).length : 0;
  if (!stopped && !started && answered === tries) {
    return result('app-one-down', 'pass',
      `With ${victim.name} out (lab rs stop ${victim.name}), ${tries} of ${tries} new connections to the VIP got ` +
        `WordPress; ${victim.name} is back (lab rs start).`);
  }
  return result('app-one-down', 'fail',
    stopped ?? started ?? `With ${victim.name} out, ${answered} of ${tries} new connections to the VIP got WordPress.`,
    `The director must have taken ${victim.name} out (\`lab exec lvs -- ipvsadm -Ln\`) and ` +
      `${rest.map((s) => s.name).join(', ')} must serve the site alone: check its nginx, php-fpm and NFS mount.`);
}
