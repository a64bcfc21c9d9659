// Process supervisor for the lab's web app, one per web host (started by the lab with spawnInHost,
// as root): what `systemctl restart app` is on a real machine.
//
//   node supervisor.mjs [APP_ROOT=/srv/app] [PIDFILE=/run/fab-app.pid]
//
// - writes its own pid to PIDFILE (0644) and removes it on exit;
// - runs `node <realpath of APP_ROOT/current>/server.js` with cwd = that release, as the owner of
//   APP_ROOT (fabts in the lab), output appended to APP_ROOT/shared/log/app.log. The `current`
//   symlink is resolved again on every start;
// - SIGHUP: SIGTERM the app, wait for it to exit (SIGKILL after 10 s), start it again from whatever
//   `current` points to now. Several HUPs during a restart coalesce into one more restart;
// - the app exits on its own (crash): start it again after 200 ms (doubling up to 2 s while it keeps
//   crashing within 5 s of its start);
// - SIGTERM/SIGINT: stop the app, remove PIDFILE, exit 0.
// Restart over SSH:  sudo kill -HUP $(cat /run/fab-app.pid)   then poll GET /health until it answers.
import { spawn } from 'node:child_process';
import { chownSync, closeSync, mkdirSync, openSync, readFileSync, realpathSync, statSync, unlinkSync, writeFileSync } from 'node:fs';

const root = process.argv[2] ?? '/srv/app';
const pidFile = process.argv[3] ?? '/run/fab-app.pid';
const log = (msg) => console.log(`${new Date().toISOString()} supervisor[${process.pid}] ${msg}`);

let child = null;
let stopping = false;
let restarting = false;
let again = false;
let crashes = 0;
let timer;

function start() {
  timer = undefined;
  if (stopping || child) return;
  let release;
  try {
    release = realpathSync(`${root}/current`);
  } catch (e) {
    log(`cannot resolve ${root}/current (${e.code ?? e.message}); retrying in 1 s`);
    timer = setTimeout(start, 1000);
    return;
  }
  const { uid, gid } = statSync(root);
  mkdirSync(`${root}/shared/log`, { recursive: true });
  const logFile = `${root}/shared/log/app.log`;
  const out = openSync(logFile, 'a');
  try { chownSync(logFile, uid, gid); } catch { /* keep going */ }
  const startedAt = Date.now();
  const c = spawn(process.execPath, [`${release}/server.js`], {
    cwd: release, uid, gid, stdio: ['ignore', out, out], env: { ...process.env, APP_SHARED: `${root}/shared` },
  });
  closeSync(out);
  child = c;
  log(`started ${release}/server.js as pid ${c.pid}`);
  c.on('error', (e) => log(`spawn failed: ${e.message}`));
  c.on('exit', (code, sig) => {
    if (child === c) child = null;
    log(`app pid ${c.pid} exited (${sig ?? `code ${code}`})`);
    if (stopping || restarting) return; // whoever stopped it starts the next one
    crashes = Date.now() - startedAt < 5000 ? crashes + 1 : 1;
    const delay = Math.min(200 * 2 ** (crashes - 1), 2000);
    log(`app died on its own; starting it again in ${delay} ms`);
    timer = setTimeout(start, delay);
  });
}

function stopChild() {
  const c = child;
  if (!c || c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => { log(`app pid ${c.pid} ignored SIGTERM for 10 s: SIGKILL`); c.kill('SIGKILL'); }, 10_000);
    c.once('exit', () => { clearTimeout(kill); resolve(); });
    c.kill('SIGTERM');
  });
}

async function restart() {
  if (restarting) { again = true; return; }
  restarting = true;
  try {
    do {
      again = false;
      log('SIGHUP: restarting the app');
      clearTimeout(timer);
      timer = undefined;
      await stopChild();
      crashes = 0;
      start();
    } while (again && !stopping);
  } finally {
    restarting = false;
  }
}

async function shutdown(sig) {
  if (stopping) return;
  stopping = true;
  log(`${sig}: stopping`);
  clearTimeout(timer);
  await stopChild();
  try { if (readFileSync(pidFile, 'utf8').trim() === String(process.pid)) unlinkSync(pidFile); } catch { /* gone */ }
  process.exit(0);
}

process.on('SIGHUP', () => { void restart(); });
process.on('SIGTERM', () => { void shutdown('SIGTERM'); });
process.on('SIGINT', () => { void shutdown('SIGINT'); });

writeFileSync(pidFile, `${process.pid}\n`, { mode: 0o644 });
log(`supervising ${root}/current (pid file ${pidFile})`);
start();
