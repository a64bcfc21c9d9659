/**
 * The warm Tab without Node: this awk program answers from the cache file (complete-cache.ts) what
 * complete.ts would answer, in the same output format (`:nospace`, `:files`, one word a line). Node's
 * start-up alone is as slow as the whole budget, so the shells run this (one awk process) when the
 * cache is fresh. It is the same grammar as complete.ts, line for line; test/cli/complete-awk.test.ts
 * runs both on the same table and compares. Whatever it does not answer exactly (a quoted bash line,
 * `-f FABFILE`, the hosts or roles of a set computed at load time) prints `:miss`: the shell then asks
 * `fab __complete`. Input: the cache file; the words as ARGV (zsh, fish) or FAB_COMP_LINE (bash).
 * Plain POSIX awk (mawk, busybox), and no single quote: the scripts embed it in one.
 */
import { createHash } from 'node:crypto';

const GRAMMAR = String.raw`
function sw(s, p) { return substr(s, 1, length(p)) == p }
function add(w) { C[++NC] = w "" }
function camel(s,   out, i, j, c) {
  out = ""; i = 1
  while (i <= length(s)) {
    c = substr(s, i, 1)
    if (c != "-" && c != "_") { out = out c; i++; continue }
    for (j = i; j <= length(s) && substr(s, j, 1) ~ /[-_]/; j++) ;
    if (j <= length(s) && substr(s, j, 1) ~ /[a-zA-Z0-9]/) { out = out toupper(substr(s, j, 1)); i = j + 1 }
    else { out = out substr(s, i, j - i); i = j }
  }
  return out
}
function emit(part, pre,   i, j, m, w, S, seen) {
  m = 0
  for (i = 1; i <= NC; i++) {
    w = C[i]
    if (!sw(w, part) || (w in seen) || (w in EX)) continue
    seen[w] = 1; S[++m] = w
  }
  for (i = 2; i <= m; i++) { w = S[i]; for (j = i - 1; j >= 1 && S[j] > w; j--) S[j + 1] = S[j]; S[j + 1] = w }
  for (i = 1; i <= m; i++) OUT[++NO] = pre S[i]
  NC = 0; split("", EX)
}
function findTask(name) {
  if (name in TBYNAME) return TBYNAME[name]
  if (name in TBYSHORT) return TBYSHORT[name]
  return 0
}
function argNamed(t, name,   k) { for (k = 1; k <= NA[t]; k++) if (AN[t, k] == name) return k; return 0 }
function addChoices(t, k,   i) { for (i = 1; i <= NCH[t, k]; i++) add(CH[t, k, i]) }
function requiredLeft(t,   k, n) { n = 0; for (k = 1; k <= NA[t]; k++) if (AREQ[t, k] && !(k in NAMED)) n++; return n }
function takesValue(o) { return OT[o] != "flag" }
function addTaskNames(   i) { for (i = 1; i <= NT; i++) { if (SC[TS[i]] == 1) add(TS[i]); add(TN[i]) } }
function scan(last,   i, w, eq, name, k, j, c, t, wantsPos) {
  for (i = 1; i <= last; i++) {
    w = W[i]
    if (w == "--") { DD = 1; return }
    if (sw(w, "--") && length(w) > 2) {
      eq = index(w, "="); name = eq ? substr(w, 3, eq - 3) : substr(w, 3); k = 0
      if (TASK) for (j = 1; j <= NA[TASK] && !k; j++)
        if (AN[TASK, j] == camel(name) || (AKIND[TASK, j] == "boolean" && "no-" AK[TASK, j] == name)) k = j
      if (k) {
        NAMED[k] = 1
        if (AKIND[TASK, k] != "boolean" && !eq) { if (i == last) { PEND = "arg"; PIDX = k }; i++ }
        continue
      }
      if ((name in BYLONG) && takesValue(BYLONG[name]) && !eq) {
        if (i == last) { PEND = "opt"; PIDX = BYLONG[name] }
        i++
      }
      continue
    }
    if (sw(w, "-") && length(w) > 1) {
      for (j = 2; j <= length(w); j++) {
        c = substr(w, j, 1)
        if (!(c in BYSHORT) || !takesValue(BYSHORT[c])) continue
        if (j == length(w)) { if (i == last) { PEND = "opt"; PIDX = BYSHORT[c] }; i++ }
        break
      }
      continue
    }
    wantsPos = TASK ? POS < requiredLeft(TASK) : 0
    c = index(w, ":"); t = findTask(c ? substr(w, 1, c - 1) : w)
    if (!TASK && (w in SETIDX)) SEL[w] = 1
    else if (t && (c || !wantsPos)) { TASK = t; split("", NAMED); POS = 0 }
    else if (TASK) POS++
  }
}
function listValues(part, pre,   comma, head, n, i, have) {
  for (comma = length(part); comma > 0 && substr(part, comma, 1) != ","; comma--) ;
  head = substr(part, 1, comma)
  n = split(head, have, ",")
  for (i = 1; i <= n; i++) if (have[i] != "") EX[have[i]] = 1
  emit(substr(part, comma + 1), pre head)
}
function setValues(key,   i, any, j) {
  any = 0; for (i = 1; i <= NS; i++) if (SN[i] in SEL) any = 1
  for (i = 1; i <= NS; i++) {
    if (any && !(SN[i] in SEL)) continue
    if (SD[i]) MISS = 1
    if (key == "roles") { for (j = 1; j <= NL[i]; j++) add(L[i, j]) }
    else for (j = 1; j <= NH[i]; j++) add(H[i, j])
  }
}
function optionValue(o, part, pre,   key, i) {
  key = OK[o]
  if (key == "fabfile" || key == "identity" || key == "sshConfig" || key == "knownHosts") { FILES = 1; return }
  if (key == "hosts" || key == "excludeHosts" || key == "roles") { setValues(key); listValues(part, pre); return }
  if (key == "hide" || key == "show") {
    for (i = 1; i <= NG; i++) add(G[i])
    add("output"); add("everything"); listValues(part, pre); return
  }
  if (key == "display") { addTaskNames(); emit(part, pre) }
}
function options(part,   k) {
  if (TASK) for (k = 1; k <= NA[TASK]; k++) if (!(k in NAMED)) add("--" AK[TASK, k])
  for (k = 1; k <= NOPT; k++) add("--" OL[k])
  emit(part, "")
}
function fabricTaskWord(cur, t,   cut, i, head, item, eq, k) {
  cut = index(cur, ":")
  for (i = length(cur); i > cut; i--) if (substr(cur, i, 1) == ",") { cut = i; break }
  head = substr(cur, 1, cut); item = substr(cur, cut + 1); eq = index(item, "=")
  if (!eq) {
    for (k = 1; k <= NA[t]; k++) add(AN[t, k] "=")
    add("hosts="); add("roles="); add("exclude_hosts=")
    NOSPACE = 1; emit(item, head); return
  }
  k = argNamed(t, camel(substr(item, 1, eq - 1)))
  if (k) addChoices(t, k)
  emit(substr(item, eq + 1), head substr(item, 1, eq))
}
function complete(n,   cur, i, eq, name, k, c, t, nextArg) {
  cur = W[n]
  if (n > 1 && (W[1] == "runs" || W[1] == "resume" || W[1] == "completion")) {
    if (n == 2 && W[1] == "resume") for (i = 1; i <= NU; i++) add(U[i])
    if (n == 2 && W[1] == "completion") { add("bash"); add("fish"); add("zsh") }
    emit(cur, ""); return
  }
  for (i = 1; i < n && W[i] != "--"; i++)
    if (W[i] == "-f" || W[i] == "--fabfile" || sw(W[i], "--fabfile=") || (sw(W[i], "-f") && length(W[i]) > 2)) MISS = 1
  scan(n - 1)
  if (DD) return
  if (PEND == "opt") { optionValue(PIDX, cur, ""); return }
  if (PEND == "arg") { addChoices(TASK, PIDX); emit(cur, ""); return }
  eq = index(cur, "=")
  if (sw(cur, "--") && eq) {
    name = substr(cur, 3, eq - 3); k = TASK ? argNamed(TASK, camel(name)) : 0
    if (k) { addChoices(TASK, k); emit(substr(cur, eq + 1), substr(cur, 1, eq)) }
    else if ((name in BYLONG) && takesValue(BYLONG[name]))
      optionValue(BYLONG[name], substr(cur, eq + 1), substr(cur, 1, eq))
    return
  }
  if (sw(cur, "--")) { options(cur); return }
  if (sw(cur, "-") && length(cur) > 1) {
    c = substr(cur, 2, 1)
    if ((c in BYSHORT) && takesValue(BYSHORT[c])) optionValue(BYSHORT[c], substr(cur, 3), substr(cur, 1, 2))
    return
  }
  if (cur == "-") { options("--"); return }
  c = index(cur, ":")
  if (c) { t = findTask(substr(cur, 1, c - 1)); if (t) fabricTaskWord(cur, t); return }
  if (TASK) {
    nextArg = 0; i = 0
    for (k = 1; k <= NA[TASK]; k++) if (!(k in NAMED) && i++ == POS) { nextArg = k; break }
    if (nextArg) addChoices(TASK, nextArg)
    if (!(POS < requiredLeft(TASK))) addTaskNames()
  } else {
    for (i = 1; i <= NS; i++) if (!(SN[i] in SEL)) add(SN[i])
    addTaskNames()
    if (n == 1) { add("runs"); add("resume"); add("completion") }
  }
  emit(cur, "")
}
BEGIN {
  FS = "\t"; NW = 0
  if (ENVIRON["FAB_COMP_SHELL"] == "bash") {
    line = ENVIRON["FAB_COMP_LINE"]
    # Quotes and backslashes: complete-line.ts splits those.
    if (line ~ /["\047\\]/) MISS = 1
    w = ""; inWord = 0; skip = 1
    for (i = 1; i <= length(line); i++) {
      c = substr(line, i, 1)
      if (c == " " || c == "\t" || c == "\n") {
        if (inWord) { if (skip) skip = 0; else W[++NW] = w }
        w = ""; inWord = 0
      }
      else { w = w c; inWord = 1 }
    }
    if (!skip) W[++NW] = w
  } else {
    for (i = 2; i < ARGC; i++) W[++NW] = ARGV[i]
    ARGC = 2
  }
  if (NW == 0) W[++NW] = ""
}
NR == 1 && $0 != "@FORMAT@" { MISS = 1; exit }
$1 == "o" { NOPT++; OL[NOPT] = $2; OT[NOPT] = $4; OK[NOPT] = $5; BYLONG[$2] = NOPT; if ($3 != "") BYSHORT[$3] = NOPT }
$1 == "g" { G[++NG] = $2 }
$1 == "t" {
  NT++; TN[NT] = $2; TS[NT] = $3; SC[$3]++
  if (!($2 in TBYNAME)) TBYNAME[$2] = NT
  if (!($3 in TBYSHORT)) TBYSHORT[$3] = NT
}
$1 == "r" { k = ++NA[NT]; AN[NT, k] = $2; AK[NT, k] = $3; AKIND[NT, k] = $4; AREQ[NT, k] = $5 == "1" }
$1 == "c" { k = NA[NT]; CH[NT, k, ++NCH[NT, k]] = $2 }
$1 == "s" { NS++; SN[NS] = $2; SD[NS] = $3 == "1"; SETIDX[$2] = NS }
$1 == "h" { H[NS, ++NH[NS]] = $2 }
$1 == "l" { L[NS, ++NL[NS]] = $2 }
$1 == "u" { U[++NU] = $2 }
END {
  if (NR == 0) MISS = 1
  if (!MISS) complete(NW)
  if (MISS) { print ":miss"; exit }
  if (NOSPACE) print ":nospace"
  if (FILES) print ":files"
  cur = W[NW]; cut = 0
  wb = "FAB_COMP_WORDBREAKS" in ENVIRON ? ENVIRON["FAB_COMP_WORDBREAKS"] : "\"\047><=;|&(:"
  if (ENVIRON["FAB_COMP_SHELL"] == "bash") for (i = 1; i <= length(cur); i++) if (index(wb, substr(cur, i, 1))) cut = i
  for (i = 1; i <= NO; i++) {
    w = OUT[i]
    if (cut && sw(w, substr(cur, 1, cut))) w = substr(w, cut + 1)
    print w
  }
}
`;

/**
 * The cache's first line names this program: a script sourced before an upgrade (older awk) finds a
 * cache written by the newer fab foreign, and asks fab instead of answering with the old grammar.
 */
export const CACHE_FORMAT = `fabts-complete\t${createHash('sha256').update(GRAMMAR).digest('hex').slice(0, 12)}`;
export const AWK_PROGRAM = GRAMMAR.replace('@FORMAT@', CACHE_FORMAT.replace('\t', '\\t'));
