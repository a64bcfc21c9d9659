/** "did you mean" from a list of known names, by edit distance and prefix. */

function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
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
