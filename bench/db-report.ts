/**
 * bench/db.ts's arithmetic and lines: medians per case, the two modes of a bimodal case apart, overheads as ratios of
 * like to like (fab cold against the commands typed one fresh ssh each; fab --persist against them over a warm
 * ControlMaster; both against the one-ssh line, the strictest baseline).
 */
import { fmt, median } from './measure.js';
import type { Timing } from './db-cases.js';

export type Case = 'fab' | 'script' | 'hand' | 'typed' | 'warm' | 'cm';
export const LABEL: Record<Case, string> = {
  fab: 'fab (cold)',
  script: "fab's script by hand (one ssh)",
  hand: 'by hand, one ssh + sudo sh -c',
  typed: 'typed: one fresh ssh per command',
  warm: 'fab --persist (warm)',
  cm: 'typed over a warm ControlMaster',
};
/** Which by-hand case each fab case is compared with, like to like. */
const LIKE: Partial<Record<Case, Case>> = { fab: 'typed', warm: 'cm' };

export interface Mode {
  median: number;
  count: number;
}
/**
 * The runs split at their widest gap when it is over 0.3 s and over a quarter of the fastest run (a second that
 * comes in some runs only, from whatever cause): each mode's median and count; one mode otherwise.
 */
export function modes(xs: number[]): Mode[] {
  const s = [...xs].sort((a, b) => a - b);
  let at = -1;
  for (let i = 1; i < s.length; i++) if (at < 0 || s[i]! - s[i - 1]! > s[at]! - s[at - 1]!) at = i;
  const gap = at > 0 ? s[at]! - s[at - 1]! : 0;
  if (at < 0 || gap <= 0.3 || gap <= s[0]! / 4) return [{ median: median(s), count: s.length }];
  return [s.slice(0, at), s.slice(at)].map((m) => ({ median: median(m), count: m.length }));
}

export interface Row {
  median: Record<string, number>;
  cpu: Record<string, number>;
  all: Record<string, number[]>;
  modes: Record<string, Mode[]>;
}
export function row(cases: Case[], x: Record<Case, Timing[]>): Row {
  const pick = (k: keyof Timing) => Object.fromEntries(cases.map((c) => [c, x[c].map((t) => t[k])]));
  const all = pick('wall');
  const cpu = pick('cpu');
  const med = (r: Record<string, number[]>) => Object.fromEntries(cases.map((c) => [c, median(r[c]!)]));
  return { median: med(all), cpu: med(cpu), all, modes: Object.fromEntries(cases.map((c) => [c, modes(all[c]!)])) };
}

const pct = (a: number, b: number) => `${a >= b ? '+' : ''}${((a / b - 1) * 100).toFixed(1)} %`;
const modeText = (ms: Mode[]) =>
  ms.length < 2 ? '' : ` (two modes: ${ms.map((m) => `${fmt(m.median)} x${m.count}`).join(', ')})`;

/** The lines for one operation: each case's median (and modes), the overheads, the client CPU, every run. */
export function report(what: string, mb: number, runs: number, load: string, cases: Case[], x: Row): string {
  const m = x.median;
  const like = cases
    .filter((c) => LIKE[c] && cases.includes(LIKE[c]!))
    .map((c) => `${c} over ${LIKE[c]} ${pct(m[c]!, m[LIKE[c]!]!)} (${fmt(m[c]! - m[LIKE[c]!]!)})`);
  return (
    `[load ${load}] ${what} of ${mb} MB, medians of ${runs} (target: fab's overhead at most 5 %):\n` +
    cases.map((c) => `  ${LABEL[c].padEnd(34)} ${fmt(m[c]!)}${modeText(x.modes[c]!)}`).join('\n') +
    `\n  like to like: ${like.join('; ') || '-'}\n` +
    `  over the one-ssh line: ${cases
      .filter((c) => c !== 'hand')
      .map((c) => `${c} ${pct(m[c]!, m.hand!)}`)
      .join(', ')}\n` +
    `  client CPU (median): ${cases.map((c) => `${c} ${x.cpu[c]!.toFixed(2)} s`).join(', ')}\n` +
    cases.map((c) => `  ${c.padEnd(6)} ${x.all[c]!.map((v) => v.toFixed(2)).join(' ')}`).join('\n')
  );
}
