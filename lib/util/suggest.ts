/** "did you mean" from a list of known names, by edit distance and prefix. */

/** Edit distance where swapping two neighbours counts as one edit (typos like "wbe" for "web"). */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

export function suggest(word: string, known: Iterable<string>): string[] {
  const w = word.toLowerCase();
  const scored = [...new Set(known)]
    .map((k) => {
      const kl = k.toLowerCase();
      const d = kl.startsWith(w) || w.startsWith(kl) ? 1 : distance(w, kl);
      return { k, d };
    })
    .filter(({ k, d }) => d <= Math.max(2, Math.floor(k.length / 3)))
    .sort((a, b) => a.d - b.d || a.k.localeCompare(b.k));
  return scored.slice(0, 3).map((s) => s.k);
}

export function didYouMean(word: string, known: Iterable<string>): string {
  const s = suggest(word, known);
  return s.length ? `did you mean ${s.map((x) => `"${x}"`).join(' or ')}?` : '';
}
