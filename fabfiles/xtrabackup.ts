import { arg, mysqlBackup, task } from 'fabts';

/**
 * MySQL/MariaDB hot backups and restores (the seed's XtraBackup procedure, made safe), role `db`.
 *   fab prod backup                                   -> <backupRoot>/<UTC stamp>, prepared, last backupKeep kept
 *   fab prod restore /var/backups/mysql/2026-12-02_17-58-01
 *   fab -H db2 restore:/var/backups/mysql/<stamp>,as-replica-of=db1
 * Settings: see lib/recipes/mysql.ts (mysqlDefaultsFile, mysqlUser, mysqlPassword, mysqlDatadir, backupRoot, ...),
 * restoreVerifySql (SELECT 1), replicationUser / replicationPassword for --as-replica-of.
 */

export const backup = task(
  { description: 'Hot backup (mariabackup/xtrabackup), prepared, into a timestamped dir', roles: ['db'] },
  (ctx) => mysqlBackup.backup(ctx),
);

export const restore = task(
  {
    description: 'Restore a prepared backup; the old datadir is kept aside and put back on any failure',
    roles: ['db'],
    args: {
      backupDir: arg.string({ description: 'the backup dir on the db host' }),
      asReplicaOf: arg
        .string({ description: 'then replicate from this host (binlog position from the backup)' })
        .optional(),
    },
  },
  (ctx, { backupDir, asReplicaOf }) => mysqlBackup.restore(ctx, backupDir, asReplicaOf ? { asReplicaOf } : {}),
);
