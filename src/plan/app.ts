import type { RealServerNode, Scenario, SetupPhase, WebServer } from '../scenario/schema.js';
import type { InitMode } from '../scenario/schema.js';
import type { Phase, Step } from './types.js';

/** Which plan phase each setup phase of the scenario file runs in (see PHASES for their order). */
const PHASE_OF: Record<SetupPhase, Phase> = { services: 'appServices', web: 'appWeb', app: 'app' };

/**
 * The scenario's application setup (seed 003's WordPress cluster: exports, mount, database and grant, nginx
 * and php-fpm, wp-config, the install) as plan steps of one phase, in the file's order, each with its reason.
 */
export function setupSteps(scenario: Scenario, phase: SetupPhase): Step[] {
  return scenario.setup
    .filter((s) => s.phase === phase)
    .flatMap((s) => s.nodes.map((node) => ({ kind: 'exec', phase: PHASE_OF[phase], node, argv: ['sh', '-c', s.run], command: s.run.trim(), why: s.why.trim() })));
}

/** How each web server starts and stops, with systemd as PID 1 or without (the image contract, images/README.md). */
const WEB_CONTROL: Record<WebServer, Record<'start' | 'stop', Record<InitMode, string[]>>> = {
  httpd: {
    start: { systemd: ['systemctl', 'start', 'httpd'], none: ['apachectl', 'start'] },
    stop: { systemd: ['systemctl', 'stop', 'httpd'], none: ['apachectl', 'stop'] },
  },
  nginx: {
    start: { systemd: ['systemctl', 'start', 'nginx'], none: ['nginx'] },
    stop: { systemd: ['systemctl', 'stop', 'nginx'], none: ['nginx', '-s', 'stop'] },
  },
};

export function webServerControl(rs: RealServerNode, action: 'start' | 'stop', init: InitMode): string[] {
  return WEB_CONTROL[rs.webServer][action][init];
}

export function webStartWhy(rs: RealServerNode, init: InitMode): string {
  if (init !== 'systemd') return 'No systemd on this node: start the web server directly.';
  return rs.webServer === 'nginx'
    ? 'Start nginx, as seeds 003 and 004 do (`service nginx start`, `systemctl start nginx`); this needs /usr/sbin/init as PID 1.'
    : 'Start httpd as the tutorial does; this needs /usr/sbin/init as PID 1.';
}
