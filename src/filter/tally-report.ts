/**
 * The report of a `test-filter` run: fail2ban-regex's text layout, or one
 * JSON document with every matched line's number, address and parsed time.
 */
import type { CompiledFilter } from './filter.js';
import type { Tally, TallyHit, TallyLine } from './tally.js';

/** What was run, for the report's header. */
export interface RunInfo {
  /** How the filter was given: `sshd[mode=aggressive] (filter.d of /etc/f2b-fw)`, a file, or `inline regex`. */
  readonly filter: string;
  /** The log: a path, `-`, or `single line`. */
  readonly log: string;
}

/** Options for the text report. */
export interface TextOptions { readonly allMatched: boolean; readonly allMissed: boolean; readonly allIgnored: boolean }

/** Hits listed per failregex in the text report before "… and N more". */
const HITS_SHOWN = 20;

function rate(t: Tally): number {
  return t.seconds > 0 ? Math.round(t.lines / t.seconds) : t.lines;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function lineBlock(title: string, lines: readonly TallyLine[]): string[] {
  return [`|- ${title}:`, ...lines.map((l) => `|  ${l.line}: ${l.text}`), '`-', ''];
}

/** fail2ban-regex style text. */
export function textReport(f: CompiledFilter, t: Tally, info: RunInfo, o: TextOptions): string {
  const out: string[] = ['Running tests', '=============', '', `Use       filter : ${info.filter}`, `Use     log file : ${info.log}`, ''];
  out.push('Results', '=======', '', `Failregex: ${t.hits.filter((h) => !h.nofail).length} total`, '|-  #) [# of hits] regular expression');
  const byRegex = f.failregex.map((): TallyHit[] => []);
  for (const h of t.hits) byRegex[h.failregex]?.push(h);
  f.failregex.forEach((r, i) => {
    out.push(`|  ${String(i + 1).padStart(2)}) [${t.failregexHits[i]}] ${r.text}`);
    const hits = byRegex[i]!;
    for (const h of hits.slice(0, HITS_SHOWN)) {
      out.push(`|      ${h.addr}  ${iso(h.time)}  line ${h.line}${h.nofail ? '  (nofail)' : ''}`);
    }
    if (hits.length > HITS_SHOWN) out.push(`|      … and ${hits.length - HITS_SHOWN} more (all with --json)`);
  });
  out.push('`-', '', `Ignoreregex: ${t.ignored} total`);
  if (f.ignoreregex.length) {
    out.push('|-  #) [# of hits] regular expression');
    f.ignoreregex.forEach((r, i) => out.push(`|  ${String(i + 1).padStart(2)}) [${t.ignoreregexHits[i]}] ${r.text}`));
    out.push('`-');
  }
  out.push('', 'Date template hits:', '|- [# of hits] date format');
  for (const s of f.dates.stats) if (s.hits > 0) out.push(`|  [${s.hits}] ${s.template.name}`);
  out.push('`-', '');
  const unguarded = f.unguarded;
  if (unguarded.length) {
    out.push('Regexes V8 cannot move to its linear-time engine (back-references or lookarounds):');
    for (const r of unguarded) out.push(`|  ${r.text}`);
    out.push('`-', '');
  }
  out.push(`Lines: ${t.lines} lines, ${t.ignored} ignored, ${t.matched} matched, ${t.missed} missed`);
  if (f.cutLines > 0) out.push(`|  ${f.cutLines} of the missed were cut or longer than maxlinelen (${f.maxlinelen} bytes): never matched`);
  out.push(`[processed in ${t.seconds.toFixed(2)} sec, ${rate(t)} lines/s]`, '');
  if (o.allIgnored) out.push(...lineBlock('Ignored line(s)', t.ignoredLines));
  if (o.allMatched) out.push(...lineBlock('Matched line(s)', t.matchedLines));
  if (o.allMissed) out.push(...lineBlock('Missed line(s)', t.missedLines));
  return out.join('\n');
}

/** The same as one JSON document. */
export function jsonReport(f: CompiledFilter, t: Tally, info: RunInfo): string {
  return JSON.stringify({
    filter: info.filter,
    log: info.log,
    lines: { total: t.lines, matched: t.matched, ignored: t.ignored, missed: t.missed, cut: f.cutLines },
    maxlinelen: f.maxlinelen,
    failregex: f.failregex.map((r, i) => ({ index: i, regex: r.text, hits: t.failregexHits[i], linearFallback: r.linear })),
    ignoreregex: f.ignoreregex.map((r, i) => ({ index: i, regex: r.text, hits: t.ignoreregexHits[i] })),
    dateTemplates: f.dates.stats.filter((s) => s.hits > 0).map((s) => ({ template: s.template.name, hits: s.hits })),
    matches: t.hits.map((h) => ({
      line: h.line, addr: h.addr, time: iso(h.time), timestamp: h.time, failregex: h.failregex, nofail: h.nofail, fields: h.fields,
    })),
    ...(t.matchedLines.length ? { matchedLines: t.matchedLines } : {}),
    ...(t.missedLines.length ? { missedLines: t.missedLines } : {}),
    ...(t.ignoredLines.length ? { ignoredLines: t.ignoredLines } : {}),
    seconds: t.seconds,
    linesPerSecond: rate(t),
  });
}
