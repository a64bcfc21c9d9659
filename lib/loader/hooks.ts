/**
 * Module hooks (node:module register) that let fab import TypeScript fabfiles and host sets.
 * Transforms are cached by content hash, so a warm `fab --list` never starts esbuild.
 * `fabts` resolves to this installation, so fabfiles anywhere can `import { task } from 'fabts'`.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface InitData {
  cacheDir: string;
  fabtsUrl: string;
}

let data: InitData;

export function initialize(d: InitData): void {
  data = d;
}

type Resolve = (specifier: string, context: { parentURL?: string }) => Promise<{ url: string; format?: string }>;
type Load = (url: string, context: { format?: string }) => Promise<{ format: string; source?: string | Buffer }>;

const TS = /\.(ts|mts|cts)$/;

export async function resolve(specifier: string, context: { parentURL?: string }, next: Resolve): Promise<{ url: string; format?: string; shortCircuit?: boolean }> {
  if (specifier === 'fabts') return { url: data.fabtsUrl, shortCircuit: true };
  try {
    return await next(specifier, context);
  } catch (err) {
    // TypeScript style: `./util.js` in a .ts file means ./util.ts; extensionless means .ts too.
    const parent = context.parentURL ?? '';
    if (!TS.test(parent) || !(specifier.startsWith('.') || specifier.startsWith('/'))) throw err;
    const alt = specifier.endsWith('.js') ? specifier.replace(/\.js$/, '.ts') : `${specifier}.ts`;
    return next(alt, context);
  }
}

export async function load(url: string, context: { format?: string }, next: Load): Promise<{ format: string; source?: string | Buffer; shortCircuit?: boolean }> {
  if (!url.startsWith('file:') || !TS.test(url)) return next(url, context);
  const file = fileURLToPath(url);
  const source = readFileSync(file, 'utf8');
  const key = createHash('sha256').update(`v1\0${file}\0${source}`).digest('hex').slice(0, 32);
  const cached = `${data.cacheDir}/${key}.mjs`;
  try {
    return { format: 'module', source: readFileSync(cached, 'utf8'), shortCircuit: true };
  } catch {
    /* not cached yet */
  }
  const { transform } = await import('esbuild');
  let code: string;
  try {
    ({ code } = await transform(source, { loader: 'ts', format: 'esm', target: 'node20', sourcemap: 'inline', sourcefile: file }));
  } catch (err) {
    const e = err as { errors?: { text: string; location?: { line: number; column: number } }[] };
    const first = e.errors?.[0];
    const where = first?.location ? `${file}:${first.location.line}:${first.location.column + 1}` : file;
    throw new SyntaxError(`${where}: ${first?.text ?? String(err)}`);
  }
  try {
    mkdirSync(data.cacheDir, { recursive: true });
    const tmp = `${cached}.${process.pid}.tmp`;
    writeFileSync(tmp, code);
    renameSync(tmp, cached);
  } catch {
    /* a read-only cache only costs speed */
  }
  return { format: 'module', source: code, shortCircuit: true };
}
