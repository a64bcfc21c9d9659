/**
 * The import graph of lib/, read from the source text (TypeScript 7 has no JS compiler API for madge or dpdm
 * to use, and this code base writes every import as a relative `from '...js'` or `import('...js')`).
 * Type-only imports count: they are arrows between concepts too.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';

export type Graph = Map<string, Set<string>>;

function* tsFiles(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* tsFiles(p);
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) yield p;
  }
}

const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm;

/** Module paths relative to root (e.g. `run/context.ts`) and the modules each imports. */
export function importGraph(root: string): Graph {
  const g: Graph = new Map();
  for (const file of tsFiles(root)) {
    const from = posix.normalize(relative(root, file).split('\\').join('/'));
    const deps = new Set<string>();
    for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const target = posix.normalize(posix.join(posix.dirname(from), m[1]!)).replace(/\.js$/, '.ts');
      if (!target.startsWith('..')) deps.add(target);
    }
    g.set(from, deps);
  }
  return g;
}

/** Strongly connected components with more than one module (or a self-import): each is a cycle. */
export function cycles(g: Graph): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of g.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || g.get(v)?.has(v)) out.push(scc.sort());
    }
  };
  for (const v of [...g.keys()].sort()) if (!idx.has(v)) visit(v);
  return out;
}

/** The folder of a module (`run/context.ts` -> `run`; top-level files -> their own name). */
export const folderOf = (m: string): string => (m.includes('/') ? m.split('/')[0]! : m.replace(/\.ts$/, ''));

/** Arrows between folders, `a -> b`, with one module pair that makes each. */
export function folderArrows(g: Graph): Map<string, string> {
  const arrows = new Map<string, string>();
  for (const [from, deps] of g) {
    for (const to of deps) {
      const a = folderOf(from);
      const b = folderOf(to);
      if (a !== b && !arrows.has(`${a} -> ${b}`)) arrows.set(`${a} -> ${b}`, `${from} imports ${to}`);
    }
  }
  return arrows;
}

export const dirOf = (url: string): string => dirname(new URL(url).pathname);
