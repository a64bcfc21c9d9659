import { describe, expect, it } from 'vitest';
import { ServiceError } from '../../lib/errors.js';
import { PID_ALIVE, serviceCommand, serviceStop } from '../../lib/system/service.js';
import { task } from '../../lib/task/task.js';
import { ScriptedTransport, runTask } from '../../lib/testing/index.js';
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
  it('waits up to 60 s for a TERMed process to go (golden)', () => {
    const stop = serviceCommand({ name: 'db', pidFile: '/run/my sql.pid' }, 'stop', 'commands');
    expect(stop?.text).toBe(
      `${PID_ALIVE}; p=$(cat '/run/my sql.pid' 2>/dev/null) && [ -n "$p" ] || exit 0; ` +
        'kill -TERM "$p" 2>/dev/null || exit 0; ' +
        'i=0; while alive "$p"; do i=$((i+1)); [ $i -gt 600 ] && exit 1; sleep 0.1; done',
    );
    expect(stop?.display).toBe('(stop the pid in /run/my sql.pid and wait until it is gone)');
  });
});

describe('a service with no way to act on it', () => {
  it('names the settings that would give one', async () => {
    const host = new ScriptedTransport('db1').on('test -d /run/systemd/system', { code: 1 });
    const r = await runTask(
      task({}, (ctx) => serviceStop(ctx, { name: 'db' })),
      { hosts: { db1: host } },
    );
    expect(r.error('db1')).toBeInstanceOf(ServiceError);
    expect(r.error('db1')?.message).toBe(
      '[db1] service db: no systemd here and no way to stop it; set dbStop or dbPidFile in the host settings',
    );
  });
});

describe('missingPackages', () => {
  it('lists the packages dpkg-query does not show as installed', () => {
    const out = 'rsyslog install ok installed\nlogrotate deinstall ok config-files\n';
    expect(missingPackages(['rsyslog', 'logrotate', 'haproxy'], out)).toEqual(['logrotate', 'haproxy']);
  });
});
