import type { InitMode } from '../scenario/schema.js';

/**
 * How a real server's web server starts and stops: the contract every lab image keeps (images/README.md).
 * `systemctl start|stop httpd` as the tutorial does, or `apachectl start|stop` without systemd.
 */
const WEB_CONTROL: Record<'start' | 'stop', Record<InitMode, string[]>> = {
  start: { systemd: ['systemctl', 'start', 'httpd'], none: ['apachectl', 'start'] },
  stop: { systemd: ['systemctl', 'stop', 'httpd'], none: ['apachectl', 'stop'] },
};

export function webControl(init: InitMode, action: 'start' | 'stop'): string[] {
  return WEB_CONTROL[action][init];
}
