// xtrabackup.ts against real MariaDB + mariabackup in a `db: true` lab (db1, db2) of its own.
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, truncateSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fab } from '../helpers/fab.js';
import { startLab, type Lab } from '../lab/lab.js';
import { rootSql } from '../lab/db.js';
import { LAB_NETS, testRunDir } from '../lab/repo.js';
import { isAlive, killPids, mustRun } from '../lab/proc.js';
import { startDbHost } from '../lab/db.js';

let lab: Lab;
const dir = testRunDir('lab-db');
const onDb = (host: string, args: string[]) => fab(['lab', '-H', host, ...args], { env: { FAB_LAB_DIR: dir } });
const q = (host: string, s: string) => rootSql(lab.state, host, s);
const host = (name: string) => lab.state.hosts[name]!;
const root = (name: string) => host(name).root;
const rows = async (host: string) =>
  (await q(host, 'SELECT id FROM shop.items ORDER BY id')).trim().split('\n').filter(Boolean).map(Number);
const COUNT = 'restoreVerifySql=SELECT COUNT(*) AS n FROM shop.items';

/** `ps -eo args` (what any user of the machine sees; the lab hosts share its pid namespace) sampled while `fn` runs. */
async function sampledPs<T>(fn: () => Promise<T>): Promise<{ result: T; seen: string[] }> {
  const seen = new Set<string>();
  let stop = false;
  const watch = (async () => {
    while (!stop) {
      for (const c of (await mustRun('ps', ['-ww', '-eo', 'args', '--no-headers'])).split('\n'))
        if (/mariabackup|mariadb|fab-my|fab-restore|fab-backup/.test(c)) seen.add(c);
    }
  })();
  try {
    return { result: await fn(), seen: [...seen] };
  } finally {
    stop = true;
    await watch;
  }
}

async function backupOf(host: string): Promise<string> {
  const r = await onDb(host, ['backup']);
  expect(r.code, r.stdout).toBe(0);
  const m = /backup (\/srv\/backups\/\S+): ([\d.]+) MB in ([\d.]+) s/.exec(r.stdout);
  expect(m, r.stdout).not.toBeNull();
  expect(Number(m![2])).toBeGreaterThan(1);
  return m![1]!;
}

beforeAll(async () => {
  lab = await startLab({ dir, net: LAB_NETS.dbTests, web: 0, db: true });
  await q(
    'db1',
    'CREATE TABLE shop.items (id INT PRIMARY KEY, note VARCHAR(40)); INSERT INTO shop.items VALUES (1,"a"),(2,"b"),(3,"c")',
  );
}, 120_000);
afterAll(async () => {
  await lab?.stop();
});

describe('backup and restore on db1', () => {
  it('rows written before the backup are back, rows written after are gone, the old datadir is kept', async () => {
    const b = await backupOf('db1');
    expect(existsSync(`${root('db1')}${b}/xtrabackup_checkpoints`)).toBe(true);
    const dry = await onDb('db1', ['--dry-run', 'restore', b]);
    expect(dry.code, dry.stdout).toBe(0);
    expect(dry.stdout).toMatch(/would restore \S+ into \/srv\/mysql\/data \(checked: a prepared backup, mariabackup;/);
    expect(readdirSync(`${root('db1')}/srv/mysql`).filter((n) => n.startsWith('data.before-restore-'))).toEqual([]);
    await q('db1', 'INSERT INTO shop.items VALUES (4,"after")');
    expect(await rows('db1')).toEqual([1, 2, 3, 4]);
    const r = await onDb('db1', ['--set', COUNT, 'restore', b]);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/verify: 3; the old datadir is kept as \/srv\/mysql\/data\.before-restore-/);
    expect(await rows('db1')).toEqual([1, 2, 3]);
    const kept = readdirSync(`${root('db1')}/srv/mysql`).filter((n) => n.startsWith('data.before-restore-'));
    expect(kept.length).toBeGreaterThanOrEqual(1);
  });

  it('a missing backup dir changes nothing: the server keeps running with all its rows', async () => {
    const before = await rows('db1');
    const r = await onDb('db1', ['restore', '/srv/backups/1999-01-01_00-00-00']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/is not a backup .*nothing changed, the server keeps running/);
    expect(r.stdout).not.toMatch(/stop the pid/);
    expect(await rows('db1')).toEqual(before);
    // --dry-run runs the same checks (read-only) and finds it too
    const dry = await onDb('db1', ['--dry-run', 'restore', '/srv/backups/1999-01-01_00-00-00']);
    expect(dry.code).toBe(1);
    expect(dry.stdout).toMatch(/is not a backup .*nothing changed/);
  });

  it('a corrupt backup is rolled back: the original datadir is back and answers with all its rows', async () => {
    const b = await backupOf('db1');
    const bad = `${b}-corrupt`;
    cpSync(`${root('db1')}${b}`, `${root('db1')}${bad}`, { recursive: true });
    truncateSync(`${root('db1')}${bad}/ibdata1`, 4096); // the system tablespace cut short
    await q('db1', 'INSERT INTO shop.items VALUES (5,"kept")');
    const before = await rows('db1');
    const r = await onDb('db1', ['--set', `${COUNT},mysqlStartTimeout=10`, 'restore', bad]);
    expect(r.code, r.stdout).toBe(1);
    expect(r.stdout).toMatch(/restore failed at "(start the restored server|verify.*)"/);
    expect(r.stdout).toMatch(/the original datadir is back in \/srv\/mysql\/data and the server answers again/);
    expect(await rows('db1')).toEqual(before);
  }, 120_000);

  it('wrong credentials: a clear error, and the password is in no output or event', async () => {
    const wrong = 'Wr0ng-Secret-Pw';
    const r = await fab(['lab', '-H', 'db1', '--json', '--set', `mysqlPassword=${wrong}`, 'backup'], {
      env: { FAB_LAB_DIR: dir },
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/Access denied for user 'fabdba'/);
    expect(r.stdout + r.stderr).not.toContain(wrong);
    expect(readdirSync(`${root('db1')}/srv/backups`).filter((n) => n.endsWith('.partial'))).toEqual([]);
  });

  it('ps on the host during a backup and a restore shows no password', async () => {
    const pw = lab.state.db!.password;
    const { result: dir, seen } = await sampledPs(() => backupOf('db1'));
    expect(
      seen.some((c) => c.includes('mariabackup') && c.includes('--backup')),
      seen.join('\n'),
    ).toBe(true);
    const restored = await sampledPs(() => onDb('db1', ['restore', dir]));
    expect(restored.result.code, restored.result.stdout).toBe(0);
    // the sampling saw the restore (its script runs under sudo for the whole restore; the short-lived mariadb clients and
    // --copy-back are caught only when a sample falls on them, each is checked then)
    expect(
      restored.seen.some((c) => c.includes('fab-restore:')),
      restored.seen.join('\n'),
    ).toBe(true);
    expect([...seen, ...restored.seen].filter((c) => c.includes(pw))).toEqual([]);
  });

  it('keeps the last backupKeep backups', async () => {
    await backupOf('db1');
    const r = await onDb('db1', ['--set', 'backupKeep=2', 'backup']);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/removed \d+ old backup/);
    expect(
      readdirSync(`${root('db1')}/srv/backups`).filter((n) => /^\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d(-\d+)?$/.test(n)),
    ).toHaveLength(2);
  });

  it('two backups within one second get distinct dirs (<stamp>-2), never a failed rename', async () => {
    // Taken names for this second and the next 30: the backup must pick a suffixed one.
    const backups = `${root('db1')}/srv/backups`;
    const taken = Array.from({ length: 31 }, (_, i) =>
      new Date(Date.now() + i * 1000).toISOString().slice(0, 19).replace('T', '_').replace(/:/g, '-'),
    );
    for (const t of taken) mkdirSync(`${backups}/${t}`, { recursive: true });
    try {
      const r = await onDb('db1', ['--set', 'backupKeep=100', 'backup']); // the taken names look newer: keep them all
      expect(r.code, r.stdout).toBe(0);
      const dir = /backup (\/srv\/backups\/\S+): /.exec(r.stdout)?.[1];
      expect(dir).toMatch(/^\/srv\/backups\/\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d-2$/);
    } finally {
      for (const t of taken) rmSync(`${backups}/${t}`, { recursive: true, force: true });
    }
  });
});

describe('restore --as-replica-of', () => {
  it('db2 restored from a db1 backup replicates: a row inserted on db1 afterwards appears on db2', async () => {
    const b = await backupOf('db1');
    cpSync(`${root('db1')}${b}`, `${root('db2')}${b}`, { recursive: true }); // the operator's copy to the replica host
    const { result: r, seen } = await sampledPs(() => onDb('db2', ['--set', COUNT, `restore:${b},as-replica-of=db1`]));
    expect(r.code, r.stdout).toBe(0);
    expect(seen.filter((c) => c.includes(lab.state.db!.replPassword) || c.includes(lab.state.db!.password))).toEqual(
      [],
    );
    expect(r.stdout).toMatch(/replicating from db1 .*IO Yes, SQL Yes/);
    expect(r.stdout).not.toContain(lab.state.db!.replPassword);
    await q('db1', 'INSERT INTO shop.items VALUES (100,"replicated")');
    for (
      const end = Date.now() + 15_000;
      !(await rows('db2')).includes(100);
      await new Promise((res) => setTimeout(res, 50))
    ) {
      if (Date.now() > end) throw new Error(`row 100 did not reach db2: ${await q('db2', 'SHOW SLAVE STATUS\\G')}`);
    }
    expect(await rows('db2')).toEqual(await rows('db1'));
  });
});

describe('restore that runs out of disk', () => {
  it('copy-back into a full tmpfs datadir is rolled back: the original is back and answers with all its rows', async () => {
    const b = await backupOf('db1');
    cpSync(`${root('db1')}${b}`, `${root('db2')}${b}`, { recursive: true });
    // db2's /srv/mysql becomes a tmpfs with room for its datadir plus 16 MB (12 MB of them are InnoDB's ibtmp1 while
    // it runs): the copy-back cannot fit next to the old datadir, the old one alone starts again
    const pidFile = `${root('db2')}${lab.state.db!.pidFile}`;
    const pid = Number((await mustRun('cat', [pidFile])).trim());
    await killPids([pid], 30_000);
    expect(isAlive(pid)).toBe(false);
    const usedMb = Math.ceil(Number((await mustRun('du', ['-sm', `${root('db2')}/srv/mysql/data`])).split('\t')[0]));
    await mustRun('nsenter', [
      '--target',
      String(host('db2').pid),
      '--mount',
      '--',
      'sh',
      '-c',
      `mkdir -p /srv/mysql.disk && cp -a /srv/mysql/data /srv/mysql/log /srv/mysql.disk/ && mount -t tmpfs -o size=${usedMb + 16}m,mode=750,uid=$(id -u mysql),gid=$(id -g mysql) tmpfs /srv/mysql` +
        ' && cp -a /srv/mysql.disk/. /srv/mysql/ && rm -rf /srv/mysql.disk',
    ]);
    await startDbHost(lab, 'db2', 15_000);
    const before = await rows('db2');
    expect(before.length).toBeGreaterThan(0);
    const r = await onDb('db2', ['--set', COUNT, 'restore', b]);
    expect(r.code, r.stdout).toBe(1);
    expect(r.stdout).toMatch(/restore failed at "copy back [^"]+": mariabackup --copy-back failed/);
    expect(r.stdout).toMatch(/No space left on device|Errcode: 28|error 28/i);
    expect(r.stdout).toMatch(/the original datadir is back in \/srv\/mysql\/data and the server answers again/);
    expect(await rows('db2')).toEqual(before);
  }, 120_000);
});
