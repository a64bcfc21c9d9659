import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { hostSet, UsageError, type HostDef } from 'fabts/hosts';

/** The parts of the lab's lab.json this host set reads (test/lab writes it; its writer is checked against this type). */
export interface LabJson {
  user: string;
  clientKey: string;
  knownHosts: string;
  hosts: Record<string, LabJsonHost>;
  lb?: { app: { hosts: string[]; root: string; restart: string; port: number; health: string } };
  db?: {
    hosts: string[];
    conf: string;
    socket: string;
    port: number;
    user: string;
    password: string;
    datadir: string;
    serverUser: string;
    backupRoot: string;
    start: string;
    pidFile: string;
    replUser: string;
    replPassword: string;
    lb: string;
    lbConf: string;
    lbReload: string;
  };
}
interface LabJsonHost {
  name: string;
  address: string;
  port: number;
  roles: string[];
  root: string;
  jump?: string;
  lbKind?: string;
}

/**
 * The embedded lab: real sshd hosts on loopback, started with `npm run lab -- up` (add --lb for
 * the web tier: the app on web hosts, nginx on lb1, HAProxy on lb2). Read only when selected
 * (`fab lab ...`), from the lab's state file.
 */
const labDir = () => process.env.FAB_LAB_DIR ?? fileURLToPath(new URL('../.fab/lab', import.meta.url));
const about = {
  description: 'the embedded lab of real sshd hosts (npm run lab -- up [--lb])',
  // All it reads: shell completion may cache the lab's hosts until lab.json or FAB_LAB_DIR changes.
  inputs: () => ({ files: [`${labDir()}/lab.json`], env: ['FAB_LAB_DIR'] }),
};

export const lab = hostSet(() => {
  const dir = labDir();
  let state: LabJson;
  try {
    state = JSON.parse(readFileSync(`${dir}/lab.json`, 'utf8')) as LabJson;
  } catch {
    throw new UsageError(
      `the lab is not running (no ${dir}/lab.json)`,
      'start it with `npm run lab -- up` (as root), or set FAB_LAB_DIR',
    );
  }
  const app = state.lb?.app;
  const db = state.db;
  const host = (h: LabJsonHost): HostDef => ({
    address: h.address,
    port: h.port,
    roles: h.roles,
    ...(h.jump ? { jump: h.jump } : {}),
    settings: {
      labRoot: h.root,
      ...(h.lbKind ? { lbKind: h.lbKind } : {}),
      ...(app && app.hosts.includes(h.name)
        ? { appRoot: app.root, appRestart: app.restart, appHealthUrl: `http://{address}:${app.port}${app.health}` }
        : {}),
      ...(db && db.hosts.includes(h.name)
        ? {
            mysqlDefaultsFile: db.conf,
            mysqlSocket: db.socket,
            mysqlPort: db.port,
            mysqlUser: db.user,
            mysqlPassword: db.password,
            mysqlDatadir: db.datadir,
            mysqlServerUser: db.serverUser,
            backupRoot: db.backupRoot,
            mariadbStart: db.start,
            mariadbPidFile: db.pidFile,
            replicationUser: db.replUser,
            replicationPassword: db.replPassword,
            mysqlchkBind: h.address,
            mysqlchkDbHost: h.address,
            mysqlchkLog: '/run/fab-mysqlchk.log',
          }
        : {}),
      ...(db && db.lb === h.name
        ? {
            haproxyConf: db.lbConf,
            haproxyReload: db.lbReload,
            mysqlListen: `${h.address}:33306`,
            mysqlchkInter: '300ms',
            mysqlchkRise: 2,
            mysqlchkFall: 2,
            // no rsyslogd runs in the lab (it would take over the machine's /dev/log): restart = a no-op
            haproxyLogFile: '/srv/haproxy.log',
            rsyslogRestart: 'true',
            rsyslogConf: '/srv/rsyslog.conf',
          }
        : {}),
    },
  });
  return {
    hosts: Object.fromEntries(Object.values(state.hosts).map((h) => [h.name, host(h)])),
    ssh: { user: state.user, key: state.clientKey, knownHosts: state.knownHosts },
  };
}, about);
