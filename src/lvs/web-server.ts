import type { InitMode, WebServer } from '../scenario/schema.js';

/**
 * How a real server's web server starts and stops: the contract every lab image keeps (images/README.md).
 * httpd: `systemctl start|stop httpd` as the tutorial does, or `apachectl start|stop` without systemd;
 * nginx (seeds 003 and 004): `systemctl start|stop nginx`, or `nginx` / `nginx -s stop` without systemd.
 */
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

export function webControl(server: WebServer, init: InitMode, action: 'start' | 'stop'): string[] {
  return WEB_CONTROL[server][action][init];
}
