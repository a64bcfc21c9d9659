// Lab CLI:  npm run lab -- up [--dir D] [--net N] [--web N] [--jump] [--lb] [--db] [--guest] [--host NAME:ROLE,..[:/BIND,..]]...
//           npm run lab -- down [--dir D]
//           npm run lab -- status [--dir D] [--json]
// Default dir: defaultLabDir() under /var/tmp/fabts-lab, linked from <repo>/.fab/lab (net 11). Needs root.
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { procCmdline, procState } from './proc.js';
import { probe, readSpec } from './host.js';
import { loadLab, startLab } from './lab.js';
import { readState } from './files.js';
import { LAB_NETS, defaultLabDir, linkCliLab } from './repo.js';
import type { ExtraHostOptions } from './types.js';

const USAGE = `usage: lab up [--dir D] [--net N] [--web N] [--jump] [--lb] [--db] [--guest] [--host NAME:ROLE,ROLE[:/BIND,/BIND]]...
       lab down [--dir D]
       lab status [--dir D] [--json]`;

interface Args {
  cmd: string;
  dir: string;
  net: number;
  web: number;
  jump: boolean;
  lb: boolean;
  db: boolean;
  guest: boolean;
  json: boolean;
  hosts: ExtraHostOptions[];
}

export function parseArgs(argv: string[]): Args {
  const a: Args = {
    cmd: argv[0] ?? '',
    dir: '',
    net: LAB_NETS.cli,
    web: 3,
    jump: false,
    lb: false,
    db: false,
    guest: false,
    json: false,
    hosts: [],
  };
  for (let i = 1; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
      return v;
    };
    const int = () => {
      const v = value();
      if (!/^\d+$/.test(v)) throw new Error(`${flag} needs a number, got ${v}`);
      return Number(v);
    };
    if (flag === '--dir') a.dir = value();
    else if (flag === '--net') a.net = int();
    else if (flag === '--web') a.web = int();
    else if (flag === '--jump') a.jump = true;
    else if (flag === '--lb') a.lb = true;
    else if (flag === '--db') a.db = true;
    else if (flag === '--guest') a.guest = true;
    else if (flag === '--json') a.json = true;
    else if (flag === '--host') {
      const [name = '', roles = '', binds = ''] = value().split(':');
      a.hosts.push({ name, roles: roles ? roles.split(',') : [], binds: binds ? binds.split(',') : [] });
    } else throw new Error(`unknown argument ${flag}\n${USAGE}`);
  }
  if (!['up', 'down', 'status'].includes(a.cmd)) throw new Error(USAGE);
  a.dir = resolve(a.dir || defaultLabDir());
  return a;
}

type Out = (line: string) => void;

async function status(dir: string, json: boolean, out: Out): Promise<number> {
  const state = readState(dir);
  if (!state) {
    out(json ? JSON.stringify({ dir, running: false }) : `no lab in ${dir}`);
    return 3;
  }
  const rows = await Promise.all(
    Object.values(state.hosts).map(async (h) => {
      const ps = procState(h.pid);
      let st = 'down';
      if (state.guest?.name === h.name)
        st = h.pid && ps && ps !== 'Z' && procCmdline(h.pid).includes(`fabts-${h.name}`) ? 'up' : 'down';
      else if (h.pid && ps && ps !== 'Z')
        st = ps === 'T' ? 'paused' : (await probe(readSpec(dir, h.name))) ? 'up' : 'no-banner';
      return { ...h, state: st };
    }),
  );
  const down = rows.filter((r) => r.state !== 'up').length;
  if (json) {
    out(
      JSON.stringify(
        {
          dir,
          net: state.net,
          running: true,
          hosts: rows.map(({ name, address, port, pid, state: s }) => ({ name, address, port, pid, state: s })),
          services: state.services ?? {},
          ...(state.lb ? { lb: state.lb } : {}),
        },
        null,
        2,
      ),
    );
    return down ? 1 : 0;
  }
  out(`lab ${dir}: net ${state.net}, created ${state.createdAt}, ${rows.length} hosts, ${rows.length - down} up`);
  out(`  ${'NAME'.padEnd(10)} ${'ADDRESS'.padEnd(18)} ${'ROLES'.padEnd(12)} ${'PID'.padEnd(8)} STATE`);
  for (const r of rows) {
    out(
      `  ${r.name.padEnd(10)} ${`${r.address}:${r.port}`.padEnd(18)} ${r.roles.join(',').padEnd(12)} ${String(r.pid).padEnd(8)} ${r.state}${r.jump ? ` (via ${r.jump})` : ''}`,
    );
  }
  for (const s of Object.values(state.services ?? {}))
    out(`  service ${s.name} on ${s.host}: pid ${s.pid} ${procState(s.pid) ?? 'gone'}: ${s.argv.join(' ')}`);
  out(`  ssh -F ${state.sshConfig} web1 hostname`);
  if (state.lb) for (const line of lbLines(state)) out(line);
  return down ? 1 : 0;
}

function lbLines(state: NonNullable<ReturnType<typeof readState>>): string[] {
  const { nginx, haproxy, app } = state.lb!;
  return [
    `  nginx   ${nginx.url} on ${nginx.host} (${nginx.conf}; ${nginx.reload})`,
    `  haproxy ${haproxy.url} on ${haproxy.host} (${haproxy.conf}; ${haproxy.reload}; echo 'show stat' | ${haproxy.socketCommand})`,
    `  app     ${app.root} on ${app.hosts.join(',')} port ${app.port}; restart: ${app.restart}`,
  ];
}

export async function main(argv: string[], out: Out = (l) => console.log(l)): Promise<number> {
  const a = parseArgs(argv);
  if (a.cmd === 'up') {
    const t0 = performance.now();
    const lab = await startLab({
      dir: a.dir,
      net: a.net,
      web: a.web,
      jump: a.jump,
      lb: a.lb,
      db: a.db,
      guest: a.guest,
      extraHosts: a.hosts,
    });
    const ms = Math.round(performance.now() - t0);
    if (a.dir === defaultLabDir()) linkCliLab();
    out(
      `lab up: ${Object.keys(lab.state.hosts).length} hosts${a.lb ? ' + web tier' : ''}${a.guest ? ' + storage guest' : ''} in ${ms} ms (${a.dir})`,
    );
    const first = Object.keys(lab.state.hosts)[0];
    if (first) out(`  try: ssh -F ${lab.state.sshConfig} ${first} hostname`);
    const g = lab.state.guest;
    if (g)
      out(
        `  guest ${g.name}: qemu pid ${g.pid} (${g.accel}), disks /dev/vdb,/dev/vdc,/dev/vdd; fab lab -H ${g.name} -- cat /proc/mdstat`,
      );
    if (lab.state.lb) for (const line of lbLines(lab.state)) out(line);
    return 0;
  }
  if (a.cmd === 'down') {
    if (!readState(a.dir)) {
      out(`no lab in ${a.dir}`);
      return 0;
    }
    const t0 = performance.now();
    await (await loadLab(a.dir)).stop();
    out(`lab down: ${a.dir} in ${Math.round(performance.now() - t0)} ms`);
    return 0;
  }
  return status(a.dir, a.json, out);
}

function isEntryPoint(): boolean {
  try {
    return !!process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      console.error((e as Error).message ?? e);
      process.exitCode = 2;
    },
  );
}
