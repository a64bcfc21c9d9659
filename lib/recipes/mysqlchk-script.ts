/**
 * The HTTP health check HAProxy asks (the seed's tornado handler, in plain python3): GET
 * /mysqlchk/?port=3306 -> 200 when `SELECT 1` on that port answers, 503 otherwise. Its login is read
 * from a 0600 option file; nothing secret is on its command line.
 */
import { raw, sh, type ShellCommand } from '../commands/quote.js';
import { PID_ALIVE } from '../system/service.js';

export const MYSQLCHK_PY = `#!/usr/bin/env python3
# fab-mysqlchk: installed by fabts (fabfiles/mysqlchk.ts). Do not edit: the next install replaces it.
import argparse, http.server, os, subprocess, urllib.parse

ap = argparse.ArgumentParser()
ap.add_argument('--bind', default='0.0.0.0')
ap.add_argument('--port', type=int, default=31337)
ap.add_argument('--db-host', default='127.0.0.1')
ap.add_argument('--defaults-file', required=True)
ap.add_argument('--client', default='mariadb')
ap.add_argument('--pidfile')
a = ap.parse_args()

class Check(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        u = urllib.parse.urlparse(self.path)
        port = urllib.parse.parse_qs(u.query).get('port', ['3306'])[0]
        if u.path.rstrip('/') != '/mysqlchk' or not port.isdigit():
            return self.answer(404, 'not found')
        try:
            r = subprocess.run([a.client, '--defaults-file=' + a.defaults_file, '--protocol=TCP', '-h', a.db_host,
                                '-P', port, '--connect-timeout=2', '-e', 'SELECT 1'], capture_output=True, timeout=5)
            ok = r.returncode == 0
        except Exception:
            ok = False
        self.answer(200 if ok else 503, 'MySQL on port %s is %s' % (port, 'up' if ok else 'down'))
    def answer(self, code, text):
        body = (text + '\\n').encode()
        self.send_response(code)
        self.send_header('Content-Type', 'text/plain')
        self.send_header('Content-Length', str(len(body)))
        self.send_header('Connection', 'close')
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass

srv = http.server.ThreadingHTTPServer((a.bind, a.port), Check)
if a.pidfile:
    with open(a.pidfile + '.tmp', 'w') as f:
        f.write('%d\\n' % os.getpid())
    os.replace(a.pidfile + '.tmp', a.pidfile)
srv.serve_forever()
`;

export function mysqlchkUnit(cmd: string): string {
  return `# installed by fabts (fabfiles/mysqlchk.ts)
[Unit]
Description=fabts MySQL HTTP health check for HAProxy
After=network.target

[Service]
ExecStart=${cmd}
Restart=always

[Install]
WantedBy=multi-user.target
`;
}

export interface MysqlListen {
  name: string;
  bind: string;
  checkPort: number;
  mysqlPort: number;
  inter: string;
  rise: number;
  fall: number;
  servers: { name: string; address: string; port: number }[];
}

/** Pure: the seed's `listen` section: the first server primary, the others `backup`. */
export function mysqlListenSection(l: MysqlListen): string {
  const check = `check port ${l.checkPort} inter ${l.inter} rise ${l.rise} fall ${l.fall}`;
  return [
    `listen ${l.name}`,
    `    bind ${l.bind}`,
    '    mode tcp',
    '    option tcplog',
    `    option httpchk GET /mysqlchk/?port=${l.mysqlPort}`,
    '    http-check expect status 200',
    '    balance roundrobin',
    // a connection that finds db1 dying (refused, before the checks mark it DOWN) is retried, then sent to a
    // live server
    '    retries 3',
    '    option redispatch 1',
    '    timeout client 30s',
    '    timeout server 30s',
    ...l.servers.map((s, i) => `    server ${s.name} ${s.address}:${s.port} ${check}${i ? ' backup' : ''}`),
  ].join('\n');
}

/**
 * Is the check in `pidFile` running? A zombie (exited, its reaping late or never: a container's init) is not.
 */
export const checkRunning = (pidFile: string): ShellCommand =>
  sh`${raw(PID_ALIVE)}; p=$(cat ${pidFile} 2>/dev/null) && alive "$p"`;

/**
 * Stop the running check (TERM; then wait until it is gone, at most 10 s, a zombie counting as gone) and start
 * `cmd` detached with its pid file, output to `log`.
 */
export function restartCheck(pidFile: string, cmd: string, log: string): ShellCommand {
  const stop = sh`p=$(cat ${pidFile} 2>/dev/null) && kill "$p" 2>/dev/null; rm -f ${pidFile}`;
  const gone = raw(
    'i=0; while alive "$p"; do i=$((i+1)); ' +
      '[ $i -gt 100 ] && { echo "the running check (pid $p) did not stop within 10s" >&2; exit 1; }; sleep 0.1; done',
  );
  return sh`${raw(PID_ALIVE)}; ${stop}; ${gone}; setsid ${raw(cmd)} --pidfile ${pidFile} </dev/null >>${log} 2>&1 &`;
}
