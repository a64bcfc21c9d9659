import { describe, expect, it } from 'vitest';
import { firstTool, pidFile, systemdRunning, toolPath, uname } from '../../lib/commands/probes.js';

describe('probe builders', () => {
  it.each([
    [pidFile('/run/nginx.pid'), 'pid-file:/run/nginx.pid', 'cat -- /run/nginx.pid'],
    [pidFile('/run/my app.pid'), 'pid-file:/run/my app.pid', `cat -- '/run/my app.pid'`],
    [uname(), 'uname', 'uname -srm'],
    [toolPath('mariabackup'), 'tool-path:mariabackup', 'command -v mariabackup'],
    [toolPath('a;b'), 'tool-path:a;b', `command -v 'a;b'`],
  ])('%#: %s', (probe, name, command) => {
    expect(probe.name).toBe(name);
    expect(probe.command.text).toBe(command);
  });

  it('parses a pid file: a positive integer, else nothing', () => {
    const p = pidFile('/run/x.pid');
    expect(p.parse({ stdout: '1234\n', code: 0 })).toBe(1234);
    expect(p.parse({ stdout: '', code: 1 })).toBeUndefined();
    expect(p.parse({ stdout: '\n', code: 0 })).toBeUndefined();
    expect(p.parse({ stdout: '0\n', code: 0 })).toBeUndefined();
    expect(p.parse({ stdout: '12 34\n', code: 0 })).toBeUndefined();
    expect(p.parse({ stdout: '-1\n', code: 0 })).toBeUndefined();
  });

  it('parses uname and command -v', () => {
    expect(uname().parse({ stdout: 'Linux 6.1.0-27-amd64 x86_64\n', code: 0 })).toEqual({
      kernel: 'Linux',
      release: '6.1.0-27-amd64',
      machine: 'x86_64',
    });
    expect(uname().parse({ stdout: '', code: 127 })).toBeUndefined();
    expect(toolPath('curl').parse({ stdout: '/usr/bin/curl\n', code: 0 })).toBe('/usr/bin/curl');
    expect(toolPath('curl').parse({ stdout: '', code: 1 })).toBeUndefined();
  });
});

describe('firstTool', () => {
  it('is the backup recipe detection, byte for byte, and parses the tool it names', () => {
    const p = firstTool(['mariabackup', 'xtrabackup', 'innobackupex']);
    expect(p.name).toBe('first-tool:mariabackup,xtrabackup,innobackupex');
    expect(p.command.text).toBe(
      'for t in mariabackup xtrabackup innobackupex; do command -v "$t" >/dev/null 2>&1' +
        ' && { echo "$t"; exit 0; }; done; PATH="$PATH:/usr/sbin"; exit 1',
    );
    expect(p.parse({ stdout: 'xtrabackup\n', code: 0 })).toBe('xtrabackup');
    expect(p.parse({ stdout: '', code: 1 })).toBeUndefined();
  });
});

describe('systemdRunning', () => {
  it('is the service layer detection, shown as a question', () => {
    const p = systemdRunning();
    expect([p.name, p.command.text, p.command.display]).toEqual([
      'systemd',
      'test -d /run/systemd/system',
      '(is systemd running?)',
    ]);
    expect([p.parse({ stdout: '', code: 0 }), p.parse({ stdout: '', code: 1 })]).toEqual([true, false]);
  });
});
