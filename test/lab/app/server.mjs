// The lab's web app (plain Node, no deps). Installed as <release>/server.js next to VERSION,
// package.json ({"type":"module"}) and an optional health.json; run by supervisor.mjs as
// `node /srv/app/current/server.js` (Node resolves the symlink, so VERSION is the release's own).
//
//   GET /            200 "<hostname> <version>\n"
//   GET /health      200 "ok\n", or health.json's status (e.g. 500) when the release is bad here
//   GET /slow?ms=N   200 "<hostname> <version> slow N\n" after N ms (sessions in flight while draining)
//   GET /version     200 "<version>\n"
//
// health.json (all optional): {"status": 500, "hosts": ["web2"], "crash": false, "startDelayMs": 0}
//   status: what /health answers (on every host, or only on `hosts`); crash: exit 1 at start (on
//   those hosts); startDelayMs: wait before listening (a slow start).
// Listens on $APP_HOST:$APP_PORT (default: the address of `hostname` in /etc/hosts, port 8080).
// SIGTERM: stop accepting, finish requests in flight (at most 10 s), exit 0.
import { createServer } from 'node:http';
import { lookup } from 'node:dns/promises';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';

const here = new URL('.', import.meta.url);
const read = (name) => { try { return readFileSync(new URL(name, here), 'utf8'); } catch { return undefined; } };
const host = hostname();
const version = (read('VERSION') ?? 'unknown').trim();
const health = JSON.parse(read('health.json') ?? '{}');
const appliesHere = !Array.isArray(health.hosts) || health.hosts.includes(host);
const healthStatus = appliesHere && health.status ? Number(health.status) : 200;
const shared = process.env.APP_SHARED ?? '/srv/app/shared';
const log = (line) => { try { appendFileSync(`${shared}/log/access.log`, `${new Date().toISOString()} ${line}\n`); } catch { /* no shared dir */ } };

if (appliesHere && health.crash) {
  console.error(`${host} ${version}: crashing at start (health.json crash)`);
  process.exit(1);
}
if (appliesHere && health.startDelayMs) await new Promise((r) => setTimeout(r, Number(health.startDelayMs)));

const port = Number(process.env.APP_PORT ?? 8080);
const addr = process.env.APP_HOST || (await lookup(host, { family: 4 })).address;

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  const send = (status, body) => {
    res.writeHead(status, { 'content-type': 'text/plain', 'x-backend': host, 'x-version': version });
    res.end(body);
    log(`${req.socket.remoteAddress} ${req.method} ${req.url} ${status}`);
  };
  if (url.pathname === '/') send(200, `${host} ${version}\n`);
  else if (url.pathname === '/health') send(healthStatus, healthStatus === 200 ? 'ok\n' : `unhealthy ${host} ${version}\n`);
  else if (url.pathname === '/version') send(200, `${version}\n`);
  else if (url.pathname === '/slow') {
    const ms = Math.min(Math.max(Number(url.searchParams.get('ms')) || 0, 0), 600_000);
    setTimeout(() => send(200, `${host} ${version} slow ${ms}\n`), ms);
  } else send(404, 'not found\n');
});
server.keepAliveTimeout = 2000;

process.on('SIGTERM', () => {
  server.close(() => process.exit(0)); // Node 20: also closes idle keep-alive connections
  server.closeIdleConnections();
  setTimeout(() => process.exit(0), 10_000).unref();
});

server.listen(port, addr, () => {
  try { writeFileSync(`${shared}/app.pid`, `${process.pid}\n`); } catch { /* no shared dir */ }
  console.log(`${new Date().toISOString()} ${host} ${version} listening on ${addr}:${port} (pid ${process.pid})`);
});
