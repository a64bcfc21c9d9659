import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dirOf, importGraph, type Graph } from './import-graph.js';

const ROOT = join(dirOf(import.meta.url), '../..');

/** Every module a module loads, itself included. */
function closure(g: Graph, from: string): Set<string> {
  const seen = new Set<string>();
  const todo = [from];
  while (todo.length) {
    const m = todo.pop()!;
    if (seen.has(m)) continue;
    seen.add(m);
    todo.push(...(g.get(m) ?? []));
  }
  return seen;
}

describe('fabts/hosts, the host-set API', () => {
  // A host set is loaded by every run that selects it, ad-hoc commands included: it must stay cheap to load.
  it('loads the host set model and the errors, nothing of the fabfile API', () => {
    const loaded = [...closure(importGraph(join(ROOT, 'lib')), 'model/host-set-api.ts')].sort();
    expect(loaded).toContain('model/hostset.ts');
    expect(loaded).toContain('errors.ts');
    expect(loaded.filter((m) => /^(recipes|rolling|task|run|transport|exec|health|db)\//.test(m))).toEqual([]);
  });

  it("is what this repo's host sets import", () => {
    for (const f of readdirSync(join(ROOT, 'hosts'))) {
      const text = readFileSync(join(ROOT, 'hosts', f), 'utf8');
      expect(text, f).toMatch(/from 'fabts\/hosts'/);
      expect(text, f).not.toMatch(/from 'fabts'/);
    }
  });
});
