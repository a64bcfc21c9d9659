import { haproxyLogging as haproxyLoggingRecipe, mysqlchk, task } from 'fabts';

/**
 * MySQL behind HAProxy with an HTTP health check (the seed's "MySQL load balancing with HAProxy"):
 *   fab prod installMysqlchk      (db hosts: GET :31337/mysqlchk/?port=3306 -> 200 up / 503 down)
 *   fab prod haproxyMysql         (lb hosts: `listen mysql`, db1 primary, the others backup)
 * Settings: see lib/recipes/mysqlchk.ts.
 */
export const installMysqlchk = task(
  { description: 'Install and start the MySQL HTTP health check (port 31337)', roles: ['db'] },
  (ctx) => mysqlchk.installMysqlchk(ctx),
);

// its own role: the MySQL balancer is not one of the web LBs that disableLb/enableLb drain
export const haproxyMysql = task(
  { description: "Write HAProxy's listen mysql section (validated, reloaded)", roles: ['dblb'] },
  (ctx) => mysqlchk.haproxyMysql(ctx),
);

export const haproxyLogging = task(
  { description: "HAProxy's local0 syslog into its own file, rate limits, logrotate", roles: ['lb'] },
  (ctx) => haproxyLoggingRecipe.haproxyLogging(ctx),
);
