import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as hs from '../../lib/commands/haproxy-socket.js';
import * as ng from '../../lib/commands/nginx.js';
import { sh, type ShellCommand } from '../../lib/commands/quote.js';
import { fakeMaster } from '../helpers/fake-nginx.js';

// Input -> the exact command line sent to the host, and what the operator is shown of it.
const GOLDEN: [string, ShellCommand, string, string?][] = [
  ['nginx testConfig', ng.testConfig(), 'nginx -t -q'],
  [
    'nginx restoreBackup',
    ng.restoreBackup('/etc/nginx/my site.conf.fab-bak', '/etc/nginx/my site.conf'),
    `mv -f -- '/etc/nginx/my site.conf.fab-bak' '/etc/nginx/my site.conf'`,
  ],
  ['nginx processAlive', ng.processAlive(4242), 'kill -0 4242'],
  [
    'nginx reloadAndWait',
    ng.reloadAndWait('/run/my nginx.pid', 'nginx -s reload', 5),
    `sh -c 'pid=$(cat -- '\\''/run/my nginx.pid'\\'' 2>/dev/null)
case $pid in '\\'''\\''|*[!0-9]*|0*) exit 10;; esac
kill -0 "$pid" 2>/dev/null || exit 10
old=$(pgrep -P "$pid")
{ nginx -s reload
} >&2 || exit 11
t0=$(date +%s%N 2>/dev/null)
i=0
while :; do
  now=" $(echo $(pgrep -P "$pid")) "; left=
  for p in $old; do case $now in *" $p "*) left="$left $p";; esac; done
  [ -z "$left" ] && [ "$now" != "  " ] && break
  i=$((i + 1)); [ $i -le 5 ] || { echo "old workers$left" >&2; exit 12; }
  sleep 0.1
done
case $t0 in '\\'''\\''|*[!0-9]*) ;; *) echo "waited-ms $(( ($(date +%s%N) - t0) / 1000000 ))";; esac
kill -0 "$pid" || exit 10
echo "$pid"'`,
    '(reload nginx: nginx -s reload; wait for the old workers of /run/my nginx.pid)',
  ],
  [
    'haproxy show stat',
    hs.adminSocketCommand('/run/haproxy/admin.sock', hs.SHOW_STAT),
    `printf '%s\\n' 'show stat' | socat -t 5 stdio unix-connect:/run/haproxy/admin.sock`,
    '(haproxy /run/haproxy/admin.sock: show stat)',
  ],
  [
    'haproxy set state',
    hs.adminSocketCommand('/run/my haproxy.sock', hs.setServerState('app', 'web2', 'drain')),
    `printf '%s\\n' 'set server app/web2 state drain' | socat -t 5 stdio unix-connect:'/run/my haproxy.sock'`,
    '(haproxy /run/my haproxy.sock: set server app/web2 state drain)',
  ],
];

GOLDEN.push([
  'haproxy batch: drain, then show stat',
  hs.adminSocketBatch('/run/h.sock', [hs.setServerState('app', 'web2', 'drain'), hs.SHOW_STAT]),
  `printf '%s\\n' 'set server app/web2 state drain' | socat -t 5 stdio unix-connect:/run/h.sock` +
    ` && echo ${hs.BATCH_MARK} && printf '%s\\n' 'show stat' | socat -t 5 stdio unix-connect:/run/h.sock`,
  '(haproxy /run/h.sock: set server app/web2 state drain; show stat)',
]);

GOLDEN.push([
  'haproxy show stat and the conf read, in one command',
  hs.statAndRead('/run/h.sock', '/etc/my haproxy.cfg'),
  `printf '%s\\n' 'show stat' | socat -t 5 stdio unix-connect:/run/h.sock && echo ${hs.BATCH_MARK} && ` +
    `if [ -f '/etc/my haproxy.cfg' ]; then base64 -w0 -- '/etc/my haproxy.cfg'; ` +
    `elif [ -e '/etc/my haproxy.cfg' ]; then echo notafile; exit 3; else echo absent; fi`,
  '(haproxy /run/h.sock: show stat; read /etc/my haproxy.cfg)',
]);

// Script text run at the end of a conf edit's commit script: input -> exact text.
const SCRIPTS: [string, string, string][] = [
  [
    'nginx testOrRestore',
    ng.testOrRestore('/etc/nginx/a b.conf.fab-bak', '/etc/nginx/a b.conf'),
    `nginx -t -q || { mv -f -- '/etc/nginx/a b.conf.fab-bak' '/etc/nginx/a b.conf'; exit ${ng.TEST_FAILED_EXIT}; }`,
  ],
  [
    'nginx reloadScript (the text reloadAndWait runs)',
    ng.reloadScript('/run/n.pid', 'nginx -s reload', 5),
    /^sh -c '([^]*)'$/.exec(ng.reloadAndWait('/run/n.pid', 'nginx -s reload', 5).text)![1]!.replaceAll(`'\\''`, `'`),
  ],
  [
    'haproxy drainThenMaint',
    hs.drainThenMaint('/run/h.sock', 'app', 'web2'),
    `a=$(printf '%s\\n' 'set server app/web2 state drain' | socat -t 5 stdio unix-connect:/run/h.sock) || exit $?
printf '%s\\n' "$a"
case $a in *[![:space:]]*) exit 0;; esac
echo ${hs.BATCH_MARK}
st=$(printf '%s\\n' 'show stat' | socat -t 5 stdio unix-connect:/run/h.sock) || exit $?
printf '%s\\n' "$st"
printf '%s\\n' "$st" | awk -F, -v b=app -v s=web2 'NR == 1 { sub(/^# */, ""); for (i = 1; i <= NF; i++) c[$i] = i; next }
$c["pxname"] == b && $c["svname"] == s && $c["scur"] != 0 { busy = 1 }
END { exit (busy || !c["scur"]) }' || exit 0
echo ${hs.BATCH_MARK}
printf '%s\\n' 'set server app/web2 state maint' | socat -t 5 stdio unix-connect:/run/h.sock`,
  ],
];

describe('LB command builders', () => {
  it.each(SCRIPTS)('%s', (_name, text, expected) => {
    expect(text).toBe(expected);
  });

  it.each(GOLDEN)('%s', (_name, cmd, text, display = text) => {
    expect(cmd.text).toBe(text);
    expect(cmd.display).toBe(display);
  });

  it('splits a batch answer back into its commands, in a real shell', () => {
    const fake = hs
      .adminSocketBatch('/x', ['a', 'b'])
      .text.replace(/socat -t 5 stdio unix-connect:\/x/g, 'sed s/^/got-/');
    expect(hs.splitBatch(spawnSync('sh', ['-c', fake], { encoding: 'utf8' }).stdout)).toEqual(['got-a\n', 'got-b\n']);
  });

  it('names every server state the recipes set', () => {
    expect((['ready', 'drain', 'maint'] as const).map((s) => hs.setServerState('be', 'sv', s))).toEqual([
      'set server be/sv state ready',
      'set server be/sv state drain',
      'set server be/sv state maint',
    ]);
  });
});

describe('haproxy drainThenMaint in a real shell, with a fake socat answering from files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fab-haproxy-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const header = '# pxname,svname,qcur,qmax,scur,status';
  /** Runs the script; the fake socat logs what it was told and answers `answers[command]` (exit 1 when missing). */
  const drain = (answers: Record<string, string>) => {
    const log = join(dir, 'said');
    writeFileSync(log, '');
    const fake = join(dir, 'socat');
    const cases = Object.entries(answers)
      .map(([cmd, out]) => `  ${sh`${cmd}`.text}) printf '%s' ${sh`${out}`.text};;`)
      .join('\n');
    writeFileSync(
      fake,
      `read -r cmd; echo "$cmd" >> ${sh`${log}`.text}\ncase $cmd in\n${cases}\n  *) exit 1;;\nesac\n`,
    );
    const script = hs
      .drainThenMaint('/x', 'app', 'web2')
      .replace(/socat -t 5 stdio unix-connect:\/x/g, sh`sh ${fake}`.text);
    const r = spawnSync('sh', ['-c', script], { encoding: 'utf8' });
    return { code: r.status, answers: hs.splitBatch(r.stdout), said: readFileSync(log, 'utf8').trim().split('\n') };
  };
  const stat = (web2: number) =>
    `${header}\napp,web1,0,0,0,UP\napp,web2,0,0,${web2},DRAIN\napp,BACKEND,0,0,${web2},UP\n`;
  const DRAIN = 'set server app/web2 state drain';
  const MAINT = 'set server app/web2 state maint';

  it('sets maint at once when the first poll shows no session left', () => {
    const r = drain({ [DRAIN]: '\n', 'show stat': stat(0), [MAINT]: '\n' });
    expect(r).toEqual({ code: 0, answers: ['\n', stat(0), '\n'], said: [DRAIN, 'show stat', MAINT] });
  });

  it('leaves the waiting to the caller while sessions remain (no maint)', () => {
    const r = drain({ [DRAIN]: '\n', 'show stat': stat(2) });
    expect(r).toEqual({ code: 0, answers: ['\n', stat(2)], said: [DRAIN, 'show stat'] });
  });

  it('says nothing more after a refused drain, and stops with the status of a socat that fails', () => {
    expect(drain({ [DRAIN]: 'No such server.\n' })).toEqual({
      code: 0,
      answers: ['No such server.\n'],
      said: [DRAIN],
    });
    expect(drain({ [DRAIN]: '\n' })).toMatchObject({ code: 1, said: [DRAIN, 'show stat'] });
  });

  it('never sets maint on an answer that is not a stat', () => {
    const r = drain({ [DRAIN]: '\n', 'show stat': 'Unknown command.\n', [MAINT]: '\n' });
    expect(r.said).toEqual([DRAIN, 'show stat']);
  });
});

describe('nginx reloadAndWait in a real shell, against an nginx-like master', () => {
  const dir = mkdtempSync(join(tmpdir(), "fab-nginx '"));
  const run = (cmd: ShellCommand) => spawnSync('sh', ['-c', cmd.text], { encoding: 'utf8' });
  const workers = (pid: number) => spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).stdout.split('\n');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('returns the master pid once the old workers are gone and new ones run', async () => {
    const m = fakeMaster(dir, false);
    try {
      await new Promise((r) => setTimeout(r, 200));
      const before = workers(m.pid).filter(Boolean);
      expect(before).toHaveLength(2);
      const r = run(ng.reloadAndWait(m.pidFile, sh`kill -HUP "$(cat -- ${m.pidFile})"`.text, 50));
      // nginx's own wait (reported apart from fab's time), then the master's pid.
      expect([r.status, r.stdout.replace(/^waited-ms \d+\n/, '')]).toEqual([0, `${m.pid}\n`]);
      expect(r.stdout).toMatch(/^waited-ms \d+\n/);
      const after = workers(m.pid).filter(Boolean);
      expect(after.some((p) => before.includes(p))).toBe(false);
      expect(after).toHaveLength(2);
    } finally {
      m.stop();
    }
  });

  it('times out naming the old workers still running', async () => {
    const m = fakeMaster(dir, true);
    try {
      await new Promise((r) => setTimeout(r, 200));
      const before = workers(m.pid).filter(Boolean);
      const r = run(ng.reloadAndWait(m.pidFile, `kill -HUP ${m.pid}`, 3));
      expect(r.status).toBe(ng.RELOAD_EXIT.timeout);
      expect(r.stderr.trim()).toBe(`old workers ${before.join(' ')}`);
    } finally {
      m.stop();
    }
  });

  it('exits notRunning for a missing or dead pid file, reloadFailed when the reload fails', () => {
    expect(run(ng.reloadAndWait(join(dir, 'none.pid'), 'true', 3)).status).toBe(ng.RELOAD_EXIT.notRunning);
    const dead = join(dir, 'dead.pid');
    writeFileSync(dead, '999999999\n');
    expect(run(ng.reloadAndWait(dead, 'true', 3)).status).toBe(ng.RELOAD_EXIT.notRunning);
    const self = join(dir, 'self.pid');
    writeFileSync(self, `${process.pid}\n`);
    const r = run(ng.reloadAndWait(self, 'echo bad conf; false', 3));
    expect([r.status, r.stderr.trim()]).toEqual([ng.RELOAD_EXIT.reloadFailed, 'bad conf']);
  });
});
