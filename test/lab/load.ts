// A load loop for tests: keeps GETting a URL (each request on a new connection) until stopped and
// counts what came back, per backend (the first word of the body, e.g. "web2" from "web2 v1").
//
//   const load = startLoad(lab.state.lb!.nginx.url, { concurrency: 4, intervalMs: 5 });
//   const mark = load.mark();                 // ... change something ...
//   expect(load.countsSince(mark).byBackend.web2 ?? 0).toBe(0);
//   const all = await load.stop();             // expect(all.failed).toBe(0)
import { request } from 'node:http';

export interface LoadOptions {
  /** parallel request loops (default 4) */
  concurrency?: number;
  /** pause of each loop between two requests (default 10 ms) */
  intervalMs?: number;
  /** per-request timeout (default 2000 ms) */
  timeoutMs?: number;
}

export interface LoadCounts {
  total: number;
  ok: number;
  /** non-200 answers and errors (refused, reset, timeout) */
  failed: number;
  /** the first few failures, e.g. "502 <html>..." or "ECONNREFUSED" */
  errors: string[];
  /** 200 answers by the first word of the body */
  byBackend: Record<string, number>;
}

/** A point in the load's history: requests SENT after it count for countsSince. */
export interface LoadMark {
  /** requests finished before the mark */ index: number;
  /** performance.now() */ at: number;
}

export interface Load {
  /** a mark at "now" (to compare what happened after it) */
  mark(): LoadMark;
  /** counts of all requests finished so far */
  counts(): LoadCounts;
  /** counts of the requests sent after `mark` (and finished so far) */
  countsSince(mark: LoadMark): LoadCounts;
  /** resolves once at least `n` more requests finished (or rejects after timeoutMs) */
  waitRequests(n: number, timeoutMs?: number): Promise<void>;
  /** stop the loops, wait for requests in flight, return the final counts */
  stop(): Promise<LoadCounts>;
}

interface Result {
  start: number;
  status: number;
  backend: string;
  error?: string;
}

function get(url: string, timeoutMs: number): Promise<Result> {
  const start = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const done = (status: number, backend: string, error?: string) => {
      if (settled) return;
      settled = true;
      resolve({ start, status, backend, ...(error !== undefined ? { error } : {}) });
    };
    const req = request(url, { agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        if (body.length < 200) body += d;
      });
      res.on('end', () =>
        done(
          res.statusCode ?? 0,
          body.split(/\s/)[0] ?? '',
          res.statusCode === 200 ? undefined : `${res.statusCode} ${body.slice(0, 80).trim()}`,
        ),
      );
      res.on('error', (e: NodeJS.ErrnoException) => done(0, '', e.code ?? e.message));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', (e: NodeJS.ErrnoException) => done(0, '', e.code ?? e.message));
    req.end();
  });
}

function tally(results: Result[]): LoadCounts {
  const c: LoadCounts = { total: 0, ok: 0, failed: 0, errors: [], byBackend: {} };
  for (const r of results) {
    c.total++;
    if (r.status === 200 && r.error === undefined) {
      c.ok++;
      c.byBackend[r.backend] = (c.byBackend[r.backend] ?? 0) + 1;
    } else {
      c.failed++;
      if (c.errors.length < 5) c.errors.push(r.error ?? `status ${r.status}`);
    }
  }
  return c;
}

export function startLoad(url: string, opts: LoadOptions = {}): Load {
  const concurrency = opts.concurrency ?? 4;
  const intervalMs = opts.intervalMs ?? 10;
  const timeoutMs = opts.timeoutMs ?? 2000;
  const results: Result[] = [];
  const waiters: Array<{ until: number; resolve: () => void }> = [];
  let running = true;
  const loop = async () => {
    while (running) {
      results.push(await get(url, timeoutMs));
      for (let i = waiters.length - 1; i >= 0; i--) {
        if (results.length >= waiters[i]!.until) {
          waiters[i]!.resolve();
          waiters.splice(i, 1);
        }
      }
      if (running && intervalMs > 0) await new Promise((r) => setTimeout(r, intervalMs));
    }
  };
  const loops = Array.from({ length: concurrency }, loop);
  return {
    mark: () => ({ index: results.length, at: performance.now() }),
    counts: () => tally(results),
    countsSince: (m) => tally(results.filter((r) => r.start >= m.at)),
    waitRequests: (n, waitMs = 10_000) =>
      new Promise<void>((resolve, reject) => {
        const w = {
          until: results.length + n,
          resolve: () => {
            clearTimeout(t);
            resolve();
          },
        };
        const t = setTimeout(() => {
          const i = waiters.indexOf(w);
          if (i >= 0) waiters.splice(i, 1);
          reject(
            new Error(
              `load: fewer than ${n} requests finished within ${waitMs} ms (${JSON.stringify(tally(results.slice(w.until - n)))})`,
            ),
          );
        }, waitMs);
        waiters.push(w);
      }),
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return tally(results);
    },
  };
}
