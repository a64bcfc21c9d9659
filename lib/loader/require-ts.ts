/**
 * Loads TypeScript fabfiles and host sets in this thread: each .ts file is transformed to CommonJS
 * by esbuild, cached by content hash, and compiled by Node's own require. A warm `fab --list` never
 * starts esbuild, and no loader thread is needed (module.register costs ~20 ms of start-up on Node 20).
 * `fabts` resolves to this installation (require of ESM, Node >= 20.19), so a fabfile anywhere can
 * `import { task } from 'fabts'` (a host set: `from 'fabts/hosts'`, which loads no recipes); `./util.js` in a
 * .ts file finds util.ts, as TypeScript does.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { libDir } from '../util/lib-dir.js';

interface ModuleInternals {
  _extensions: Record<string, (m: { _compile(code: string, file: string): void }, file: string) => void>;
  _resolveFilename: (request: string, parent: unknown, ...rest: unknown[]) => string;
}

const CACHE_VERSION = 'cjs-v1';
let installed = false;

function cacheDir(): string {
  return process.env.FAB_CACHE_DIR ?? `${process.env.XDG_CACHE_HOME ?? `${homedir()}/.cache`}/fabts/ts`;
}

function compile(file: string): string {
  const source = readFileSync(file, 'utf8');
  const key = createHash('sha256').update(`${CACHE_VERSION}\0${file}\0${source}`).digest('hex').slice(0, 32);
  const cached = `${cacheDir()}/${key}.cjs`;
  try {
    return readFileSync(cached, 'utf8');
  } catch {
    /* not cached yet */
  }
  const esbuild = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
  let code: string;
  try {
    ({ code } = esbuild.transformSync(source, {
      loader: 'ts',
      format: 'cjs',
      target: 'node20',
      sourcemap: 'inline',
      sourcefile: file,
      // import.meta has no CommonJS equivalent; give fabfiles the values they use.
      define: {
        'import.meta.url': '__fab_meta_url',
        'import.meta.dirname': '__dirname',
        'import.meta.filename': '__filename',
      },
      banner: "const __fab_meta_url = require('node:url').pathToFileURL(__filename).href;",
      logLevel: 'silent',
    }));
  } catch (err) {
    const first = (err as { errors?: { text: string; location?: { line: number; column: number } }[] }).errors?.[0];
    const where = first?.location ? `${file}:${first.location.line}:${first.location.column + 1}` : file;
    const hint = first?.text.includes('Top-level await')
      ? ' (await inside a task, or give hostSet() an async function)'
      : '';
    throw new SyntaxError(`${where}: ${first?.text ?? String(err)}${hint}`);
  }
  try {
    mkdirSync(cacheDir(), { recursive: true });
    const tmp = `${cached}.${process.pid}.tmp`;
    writeFileSync(tmp, code);
    renameSync(tmp, cached);
  } catch {
    /* a read-only cache only costs speed */
  }
  return code;
}

function install(): void {
  if (installed) return;
  installed = true;
  const M = Module as unknown as ModuleInternals;
  M._extensions['.ts'] = (mod, file) => mod._compile(compile(file), file);
  // The same files `fab` itself runs (libDir), so a fabfile's `task` and `hostSet` are fab's own instances.
  const fabtsEntry = join(libDir(), 'index.js');
  const hostsEntry = join(libDir(), 'model', 'host-set-api.js');
  const resolve = M._resolveFilename;
  M._resolveFilename = function (request, parent, ...rest) {
    if (request === 'fabts') return fabtsEntry;
    if (request === 'fabts/hosts') return hostsEntry;
    try {
      return resolve.call(this, request, parent, ...rest);
    } catch (err) {
      const parentFile = (parent as { filename?: string } | undefined)?.filename ?? '';
      if (!parentFile.endsWith('.ts') || !request.startsWith('.')) throw err;
      return resolve.call(
        this,
        request.endsWith('.js') ? request.replace(/\.js$/, '.ts') : `${request}.ts`,
        parent,
        ...rest,
      );
    }
  };
}

const requireHere = createRequire(import.meta.url);

/** Load a fabfile or host file: .ts through the cached transform, .js/.mjs natively. */
export async function loadModule(file: string): Promise<Record<string, unknown>> {
  if (file.endsWith('.ts')) {
    install();
    return requireHere(file) as Record<string, unknown>;
  }
  return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
}
