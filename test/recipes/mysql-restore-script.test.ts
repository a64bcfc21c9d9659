import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { raw, sh } from '../../lib/commands/quote.js';
import { runDbScript } from '../helpers/db-script.js';
import { parseRestoreOutput, restoreScript, type RestoreScriptInput } from '../../lib/recipes/mysql-restore-script.js';

/**
 * A fake host: the "server" is up while $W/up exists; the fake client answers `-e SELECT 1` and the
 * verify query when it is up and the datadir has no file `corrupt`; the fake mariabackup --copy-back copies the backup into the datadir
 * (or fails with "No space left on device" when the backup has a file `nospace`).
 */
function fakeHost() {
  const w = mkdtempSync(`${tmpdir()}/fab-rs-`);
  const bin = `${w}/bin`;
  mkdirSync(bin);
  const datadir = `${w}/data`;
  mkdirSync(datadir);
  writeFileSync(`${datadir}/old-table`, 'old rows');
  writeFileSync(`${w}/up`, '');
  const tool = (name: string, body: string) => {
    writeFileSync(`${bin}/${name}`, `#!/bin/sh\n${body}\n`);
    chmodSync(`${bin}/${name}`, 0o755);
  };
  tool(
    'mariabackup',
    `t=\${3#--target-dir=}; [ -e "$t/slow" ] && { echo $$ > ${w}/copying.tmp; mv ${w}/copying.tmp ${w}/copying; exec sleep 5; }; [ -e "$t/nospace" ] && { echo "Errcode: 28 No space left on device"; exit 1; }
[ -z "$(ls -A ${datadir})" ] || { echo "Original data directory ${datadir} is not empty!"; exit 1; }
cp -r "$t"/. ${datadir}/ && echo "[00] completed OK!"`,
  );
  tool(
    'mariadb',
    `[ -e ${w}/up ] && [ ! -e ${datadir}/corrupt ] || { echo "Can't connect" >&2; exit 1; }
cat >/dev/null; case "$*" in *'-e SELECT COUNT(*) AS n FROM shop.items') printf 'n\\tm\\n3\\ta\\\\tb\\n' ;; *'-e SELECT 1') printf '1\\n1\\n' ;; *) exit 9 ;; esac`,
  );
  const backup = (name: string, files: Record<string, string>) => {
    mkdirSync(`${w}/${name}`);
    for (const [f, text] of Object.entries(files)) writeFileSync(`${w}/${name}/${f}`, text);
    return `${w}/${name}`;
  };
  const input = (src: string, more: Partial<RestoreScriptInput> = {}): RestoreScriptInput => ({
    tool: 'auto',
    src,
    datadir,
    keptAs: `${datadir}.before-restore-X`,
    serverUser: process.env.USER ?? 'root',
    defaultsFile: '/etc/my.cnf',
    service: {
      name: 'mariadb',
      systemd: {
        start: sh`systemctl start mariadb`,
        stop: sh`systemctl stop mariadb`,
        status: sh`systemctl is-active --quiet mariadb`,
      },
      other: { start: raw(`touch ${w}/up &`), stop: raw(`rm -f ${w}/up; exit 0`), status: raw(`test -e ${w}/up`) },
    },
    startTimeoutS: 1,
    verifySql: 'SELECT COUNT(*) AS n FROM shop.items',
    binlog: false,
    ...more,
  });
  /** `signalWhen`: SIGTERM the script as soon as that file exists */
  const run = (i: RestoreScriptInput, signalWhen?: string) => runDbScript(restoreScript(i), bin, signalWhen);

  const up = () => existsSync(`${w}/up`);
  return { w, datadir, backup, input, run, up };
}
const PREPARED = {
  xtrabackup_checkpoints: 'backup_type = full-prepared\n',
  ibdata1: 'new rows',
  xtrabackup_binlog_info: 'mysql-bin.000003\t1980\t0-1-8\n',
};

describe('restoreScript, run by sh on a fake host', () => {
  it('restores: the backup is the datadir, the old one is kept aside, the server answers, verify is reported', async () => {
    const h = fakeHost();
    const res = await h.run(h.input(h.backup('b', PREPARED), { binlog: true }));
    expect(res.code, res.out).toBe(0);
    expect(parseRestoreOutput(res.out)).toMatchObject({
      done: true,
      tool: 'mariabackup',
      verify: '3 a\\tb', // the verify query's first row, tab-separated (a tab in a value is \t in --batch)
      kept: `${h.datadir}.before-restore-X`,
      binlog: 'mysql-bin.000003 1980 0-1-8',
    });
    expect(readFileSync(`${h.datadir}/ibdata1`, 'utf8')).toBe('new rows');
    expect(readdirSync(`${h.datadir}.before-restore-X`)).toEqual(['old-table']);
    expect(h.up()).toBe(true);
  });

  const refused: [string, Record<string, string>, Partial<RestoreScriptInput>, RegExp][] = [
    ['no checkpoints file', { ibdata1: 'x' }, {}, /is not a backup .*nothing changed, the server keeps running/],
    [
      'not prepared',
      { xtrabackup_checkpoints: 'backup_type = full-backuped\n' },
      {},
      /is not a prepared full backup \(backup_type = full-backuped\); run --prepare first/,
    ],
    [
      'no binlog position for --as-replica-of',
      { xtrabackup_checkpoints: 'backup_type = full-prepared\n' },
      { binlog: true },
      /has no xtrabackup_binlog_info/,
    ],
    ['no tool', PREPARED, { tool: 'fab-no-such-tool' }, /no backup tool found \(fab-no-such-tool\); nothing changed/],
    [
      'a key that only starts with backup_type',
      { xtrabackup_checkpoints: 'backup_types = full-prepared\nfrom_lsn = 0\n' },
      {},
      /is not a prepared full backup \(backup_type = none\)/,
    ],
  ];
  // the checkpoints file as the tools write it, and without spaces or a last newline
  it.each(['from_lsn = 0\nbackup_type = log-applied\nto_lsn = 9\n', 'backup_type=full-prepared'])(
    'takes %j as prepared',
    async (checkpoints) => {
      const h = fakeHost();
      const res = await h.run(h.input(h.backup('b', { ...PREPARED, xtrabackup_checkpoints: checkpoints })));
      expect(res.code, res.out).toBe(0);
      expect(parseRestoreOutput(res.out).done).toBe(true);
    },
  );
  it.each(refused)('refuses before anything stops: %s', async (_, files, more, why) => {
    const h = fakeHost();
    const res = await h.run(h.input(h.backup('b', files), more));
    expect(res.code).toBe(1);
    expect(parseRestoreOutput(res.out).refused).toMatch(why);
    expect(h.up()).toBe(true);
    expect(readdirSync(h.datadir)).toEqual(['old-table']);
    expect(existsSync(`${h.datadir}.before-restore-X`)).toBe(false);
  });

  const failing: [string, Record<string, string>, RegExp, RegExp][] = [
    [
      'copy-back runs out of disk',
      { ...PREPARED, nospace: '' },
      /^copy back .*\/b$/,
      /^mariabackup --copy-back failed \(exit 1\)$/,
    ],
    [
      'the restored server never answers',
      { ...PREPARED, corrupt: '' },
      /^start the restored server$/,
      /^not ready after 1s \(last: Can't connect\)$/,
    ],
  ];
  it.each(failing)('rolls back when %s: the old datadir is back and answers', async (_, files, step, why) => {
    const h = fakeHost();
    const res = await h.run(h.input(h.backup('b', files)));
    expect(res.code).toBe(1);
    const o = parseRestoreOutput(res.out);
    expect(o.failed?.step).toMatch(step);
    expect(o.failed?.why).toMatch(why);
    expect(o.rollback).toBe('ok');
    expect(readdirSync(h.datadir)).toEqual(['old-table']);
    expect(existsSync(`${h.datadir}.before-restore-X`)).toBe(false);
    expect(h.up()).toBe(true);
  });

  it('a signal during the copy-back (Ctrl-C) stops the tool and rolls back', async () => {
    const h = fakeHost();
    const res = await h.run(h.input(h.backup('b', { ...PREPARED, slow: '' })), `${h.w}/copying`);
    expect(res.code).toBe(1);
    const o = parseRestoreOutput(res.out);
    expect(o.failed).toMatchObject({ step: expect.stringMatching(/^copy back /), why: 'interrupted by a signal' });
    expect(o.rollback).toBe('ok');
    expect(readdirSync(h.datadir)).toEqual(['old-table']);
    expect(h.up()).toBe(true);
    expect(() => process.kill(Number(readFileSync(`${h.w}/copying`, 'utf8')), 0)).toThrow(); // the tool was stopped
  });

  it('checkOnly (--dry-run) runs the checks and stops: nothing stopped, nothing moved', async () => {
    const h = fakeHost();
    const ok = await h.run({ ...h.input(h.backup('b', PREPARED)), checkOnly: true });
    expect(ok.code, ok.out).toBe(0);
    expect(parseRestoreOutput(ok.out)).toMatchObject({ checked: true, tool: 'mariabackup', done: false });
    expect(readdirSync(h.datadir)).toEqual(['old-table']);
    expect(existsSync(`${h.datadir}.before-restore-X`)).toBe(false);
    expect(h.up()).toBe(true);
    const bad = await h.run({ ...h.input(h.backup('c', { ibdata1: 'x' })), checkOnly: true });
    expect(parseRestoreOutput(bad.out)).toMatchObject({ refused: expect.stringMatching(/is not a backup/) });
  });

  it('a kept name already taken gets -2 (the older one is never overwritten)', async () => {
    const h = fakeHost();
    mkdirSync(`${h.datadir}.before-restore-X`);
    writeFileSync(`${h.datadir}.before-restore-X/earlier`, '');
    const res = await h.run(h.input(h.backup('b', PREPARED)));
    expect(parseRestoreOutput(res.out).kept).toBe(`${h.datadir}.before-restore-X-2`);
    expect(readdirSync(`${h.datadir}.before-restore-X`)).toEqual(['earlier']);
  });

  it('without systemd and without a start command: refused before the stop, naming the setting', async () => {
    const h = fakeHost();
    const i = h.input(h.backup('b', PREPARED));
    i.service.other = { stop: i.service.other.stop! };
    const res = await h.run(i);
    expect(parseRestoreOutput(res.out).refused).toBe(
      'service mariadb: no systemd here and no way to start it; set mariadbStart in the host settings; nothing changed',
    );
    expect(h.up()).toBe(true);
  });

  it('has no password in it and quotes every path', () => {
    const h = fakeHost();
    const t = restoreScript({ ...h.input("/b/it's"), datadir: '/var/lib/my sql' });
    expect(t).not.toMatch(/s3cret|password/);
    expect(t).toContain(`src='/b/it'\\''s' datadir='/var/lib/my sql'`);
  });
});
