import { describe, expect, it } from 'vitest';
import { serviceCommand } from '../../lib/system/service.js';
import { missingPackages } from '../../lib/system/packages.js';

describe('serviceCommand', () => {
  it('uses systemctl where systemd runs', () => {
    expect(serviceCommand({ name: 'mariadb' }, 'start', 'systemd')?.text).toBe('systemctl start mariadb');
    expect(serviceCommand({ name: 'mariadb' }, 'status', 'systemd')?.text).toBe('systemctl is-active --quiet mariadb');
  });
  it('prefers settings-given commands without systemd', () => {
    expect(
      serviceCommand({ name: 'db', start: 'my-start', stop: 'my-stop', pidFile: '/run/x.pid' }, 'stop', 'commands')
        ?.text,
    ).toBe('my-stop');
  });
  it('falls back to the pid file for status and stop, and has nothing to start with', () => {
    const def = { name: 'db', pidFile: '/run/my sql.pid' };
    expect(serviceCommand(def, 'status', 'commands')?.text).toContain("cat '/run/my sql.pid'");
    expect(serviceCommand(def, 'stop', 'commands')?.text).toMatch(/kill -TERM "\$p".*while alive "\$p"/);
    expect(serviceCommand(def, 'start', 'commands')).toBeUndefined();
    expect(serviceCommand({ name: 'db' }, 'status', 'commands')).toBeUndefined();
  });
});

describe('missingPackages', () => {
  it('lists the packages dpkg-query does not show as installed', () => {
    const out = 'rsyslog install ok installed\nlogrotate deinstall ok config-files\n';
    expect(missingPackages(['rsyslog', 'logrotate', 'haproxy'], out)).toEqual(['logrotate', 'haproxy']);
  });
});
