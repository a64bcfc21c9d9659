import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { UsageError } from '../../lib/errors.js';
import { describe, expect, it } from 'vitest';
import { runDbScript } from '../helpers/db-script.js';
import { backupScript, parseBackupOutput, type BackupScriptInput } from '../../lib/recipes/mysql-backup-script.js';

describe('backupScript: the text', () => {
  const cases: [string, BackupScriptInput, string[]][] = [
    [
      'auto tries the three tools in order',
      { tool: 'auto', root: '/var/backups/mysql', base: '/var/backups/mysql/2026-12-03_07-00-00', keep: 7 },
      [
        'root=/var/backups/mysql base=/var/backups/mysql/2026-12-03_07-00-00 partial=',
        'tool=; for t in mariabackup xtrabackup innobackupex; do command -v "$t" >/dev/null 2>&1 && { tool=$t; break; }; done',
        'LC_ALL=C; set --; for f in "$root"/*; do n=${f##*/}; r=${n#[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]_[0-9][0-9]-[0-9][0-9]-[0-9][0-9]}',
        'done; n=$(($# - 6))',
      ],
    ],
    [
      'a given tool and a root with a quote and a space',
      { tool: '/opt/x b/xtrabackup', root: "/b/it's here", base: "/b/it's here/s", keep: 1 },
      [
        `root='/b/it'\\''s here' base='/b/it'\\''s here/s' partial=`,
        `tool=; for t in '/opt/x b/xtrabackup'; do command -v "$t" >/dev/null 2>&1 && { tool=$t; break; }; done`,
        `[ -n "$tool" ] || fail 'no backup tool found (/opt/x b/xtrabackup)'`,
      ],
    ],
  ];
  it.each(cases)('%s', (_, input, lines) => {
    const text = backupScript(input).split('\n');
    for (const l of lines) expect(text).toContain(l);
  });
  it('has no password and no credential in it: those are in "$FAB_MY_CNF"', () => {
    const t = backupScript({ tool: 'auto', root: '/r', base: '/r/s', keep: 2 });
    expect(t).not.toMatch(/password|--user/);
    expect(t).toContain('--defaults-file="$FAB_MY_CNF" --backup --target-dir="$1"');
  });
  it('refuses a keep below 1 as bad input (exit 2), naming the setting', () => {
    const bad = () => backupScript({ tool: 'auto', root: '/r', base: '/r/s', keep: 0 });
    expect(bad).toThrow(UsageError);
    expect(bad).toThrow(/setting backupKeep is 0/);
  });
});

describe('parseBackupOutput', () => {
  it('reads the markers and ignores other lines', () => {
    expect(
      parseBackupOutput(
        'fab-backup:tool mariabackup\nnoise\nfab-backup:dir /b/x y\nfab-backup:removed /b/1\nfab-backup:removed /b/2\nfab-backup:bytes 123\n',
      ),
    ).toEqual({ tool: 'mariabackup', dir: '/b/x y', bytes: 123, removed: ['/b/1', '/b/2'] });
  });
  it('keeps what failed and the log tail after it', () => {
    expect(
      parseBackupOutput(
        'fab-backup:dir /b/s\nfab-backup:failed mariabackup --backup (exit 1)\nline 1\nfab-backup:bytes 5\n',
      ).failed,
    ).toEqual({ what: 'mariabackup --backup (exit 1)', tail: 'line 1\nfab-backup:bytes 5' });
  });
});

/** Run the script as fab does (the login on stdin) with fake tools first on the PATH. */
const runScript = (input: BackupScriptInput, bin: string, signalWhen?: string) =>
  runDbScript(backupScript(input), bin, signalWhen);

/** A fake mariabackup: `--backup` writes files (and what it was given), `--prepare` says OK; behaviour from env-free files. */
function fakeTool(name: string, script: string): string {
  const bin = mkdtempSync(`${tmpdir()}/fab-bk-bin-`);
  writeFileSync(`${bin}/${name}`, `#!/bin/sh\n${script}\n`);
  chmodSync(`${bin}/${name}`, 0o755);
  return bin;
}
const GOOD = `case "$*" in
  *--backup*) t=\${3#--target-dir=}; echo "$*" > "$t/args"; cp "\${1#--defaults-file=}" "$t/cnf-seen"; head -c 5000 /dev/zero > "$t/ibdata1"; echo "[00] completed OK!" ;;
  *--prepare*) echo "prepared" > "\${2#--target-dir=}/prepared"; echo "[00] completed OK!" ;;
esac`;

describe('backupScript, run by sh against fake tools', () => {
  const root = () => {
    const r = mkdtempSync(`${tmpdir()}/fab-bk-root-`);
    return { root: r, base: `${r}/2026-12-03_07-00-00` };
  };

  it('backs up, prepares, renames, keeps the newest N stamped dirs, reports the size; other names stay', async () => {
    const r = root();
    for (const n of ['2026-01-01_00-00-00', '2026-01-02_00-00-00', 'notes']) mkdirSync(`${r.root}/${n}`);
    const res = await runScript({ tool: 'auto', ...r, keep: 2 }, fakeTool('mariabackup', GOOD));
    expect(res.code, res.out).toBe(0);
    const o = parseBackupOutput(res.out);
    expect(o).toMatchObject({ tool: 'mariabackup', dir: r.base, removed: [`${r.root}/2026-01-01_00-00-00`] });
    expect(o.bytes).toBeGreaterThanOrEqual(5000);
    expect(readdirSync(r.root).sort()).toEqual(['2026-01-02_00-00-00', '2026-12-03_07-00-00', 'notes']);
    expect(readFileSync(`${r.base}/prepared`, 'utf8')).toBe('prepared\n');
    expect(readFileSync(`${r.base}/cnf-seen`, 'utf8')).toContain('s3cret'); // the tool read the login file...
    expect(readFileSync(`${r.base}/args`, 'utf8')).not.toContain('s3cret'); // ...and never had it as an argument
  });

  it('keeps the one just made even when an older name sorts after it (a clock set back); -N counts, others stay', async () => {
    const r = root();
    const names = [
      '2099-01-01_00-00-00',
      '2026-01-01_00-00-00-3',
      '2026-01-01_00-00-00-x',
      '2026-01-01_00-00-00.partial',
    ];
    for (const n of names) mkdirSync(`${r.root}/${n}`);
    const res = await runScript({ tool: 'auto', ...r, keep: 2 }, fakeTool('mariabackup', GOOD));
    expect(res.code, res.out).toBe(0);
    expect(parseBackupOutput(res.out)).toMatchObject({ dir: r.base, removed: [`${r.root}/2026-01-01_00-00-00-3`] });
    expect(readdirSync(r.root).sort()).toEqual([...names.slice(0, 1), ...names.slice(2), '2026-12-03_07-00-00'].sort());
    const one = await runScript({ tool: 'auto', ...r, keep: 1 }, fakeTool('mariabackup', GOOD));
    expect(parseBackupOutput(one.out)).toMatchObject({
      dir: `${r.base}-2`,
      removed: [`${r.root}/2026-12-03_07-00-00`, `${r.root}/2099-01-01_00-00-00`],
    });
    expect(existsSync(`${r.base}-2/prepared`)).toBe(true);
  });

  it('a taken name gets -2', async () => {
    const r = root();
    mkdirSync(r.base);
    const res = await runScript({ tool: 'auto', ...r, keep: 5 }, fakeTool('mariabackup', GOOD));
    expect(parseBackupOutput(res.out).dir).toBe(`${r.base}-2`);
  });

  const failing: [string, string, RegExp][] = [
    ['--backup exits 1', 'echo "Access denied for user \'bk\'"; exit 1', /^mariabackup --backup \(exit 1\)$/],
    [
      '--backup exits 0 without completed OK!',
      'echo "[00] completed OK!"; echo "but then an error"',
      /^mariabackup --backup \(exit 0\)$/,
    ],
    [
      '--prepare fails',
      'case "$*" in *--prepare*) echo "prepare broke"; exit 2;; *) echo "completed OK!";; esac',
      /^mariabackup --prepare \(exit 2\)$/,
    ],
  ];
  it.each(failing)('%s: failed with the log tail, exit 1, no dir and no .partial left', async (_, tool, what) => {
    const r = root();
    const res = await runScript({ tool: 'auto', ...r, keep: 1 }, fakeTool('mariabackup', tool));
    expect(res.code).toBe(1);
    const o = parseBackupOutput(res.out);
    expect(o.failed?.what).toMatch(what);
    expect(o.failed?.tail).toMatch(/Access denied|but then an error|prepare broke/);
    expect(readdirSync(r.root)).toEqual([]);
  });

  it('no tool: says which were looked for', async () => {
    const r = root();
    const res = await runScript({ tool: 'fab-no-such-backup-tool', ...r, keep: 1 }, fakeTool('other', 'exit 0'));
    expect(res.code).toBe(1);
    expect(parseBackupOutput(res.out).failed?.what).toBe('no backup tool found (fab-no-such-backup-tool)');
  });

  it('innobackupex gets its own grammar', async () => {
    const r = root();
    const res = await runScript(
      { tool: 'innobackupex', ...r, keep: 1 },
      fakeTool(
        'innobackupex',
        `echo "$*" >> "${r.root}/calls"; [ "$1" = --apply-log ] || mkdir -p "$3"; echo "completed OK!"`,
      ),
    );
    expect(res.code, res.out).toBe(0);
    expect(readFileSync(`${r.root}/calls`, 'utf8').replace(/--defaults-file=\S+/, '--defaults-file=CNF')).toBe(
      `--defaults-file=CNF --no-timestamp ${r.base}.partial\n--apply-log ${r.base}.partial\n`,
    );
  });

  it('killed while the tool runs (SIGTERM, as on Ctrl-C): the .partial dir and the login file are removed', async () => {
    const r = root();
    const res = await runScript(
      { tool: 'auto', ...r, keep: 1 },
      fakeTool('mariabackup', `echo "$$ $1" > ${r.root}.tmp; mv ${r.root}.tmp ${r.root}.cnf-path; exec sleep 5`),
      `${r.root}.cnf-path`,
    );
    expect(res.code).not.toBe(0);
    expect(readdirSync(r.root)).toEqual([]);
    const [pid, cnf] = readFileSync(`${r.root}.cnf-path`, 'utf8').trim().split(' ');
    expect(existsSync(cnf!.replace('--defaults-file=', ''))).toBe(false);
    expect(() => process.kill(Number(pid), 0)).toThrow(); // the tool itself was stopped, not left running
  });
});
