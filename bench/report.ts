/**
 * Renders docs/benchmarks.md: the machine, then one table per benchmark
 * section. Each section sits between markers so a run of some modules
 * (`npm run bench -- nft`) replaces those and keeps the others' last figures.
 * What differs from one run to the next (date, commit measured, load average)
 * is written in each module's block, never in the Machine table: that table
 * then only changes with the machine, so branches that re-ran different
 * modules merge without conflicting (or duplicated) rows there.
 */
import type { BenchFigure, BenchSection } from './types.js';
import { FAIL2BAN_NONE, type MachineInfo } from './machine.js';

/** The 1-minute load average when a module started and when it ended (the machine is shared). */
export interface LoadSpan {
  readonly before: number;
  readonly after: number;
}

/** What one module's run produced: its section, or the error that stopped it. */
export type ModuleOutcome =
  | { readonly name: string; readonly section: BenchSection; readonly seconds: number; readonly load?: LoadSpan }
  | { readonly name: string; readonly error: string; readonly seconds: number; readonly load?: LoadSpan };

/** What one run measured on: the run's date and the f2b-fw build (see MachineInfo). */
export type RunStamp = Pick<MachineInfo, 'date' | 'f2bfw'>;

const TIME: Readonly<Record<string, number>> = { ns: 1e-9, µs: 1e-6, us: 1e-6, ms: 1e-3, s: 1 };
const SIZE: Readonly<Record<string, number>> = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };

/** Converts `value unit` to `unit2`, when both are times, both sizes, or the same unit. */
function convert(value: number, from: string, to: string): number | undefined {
  if (from === to) return value;
  for (const table of [TIME, SIZE]) {
    const a = table[from];
    const b = table[to];
    if (a !== undefined && b !== undefined) return (value * a) / b;
  }
  return undefined;
}

/** `✓`/`✗` against a target like `≤ 5 ms` or `>= 100000 lines/s (note)`; '' when it cannot be read. */
export function meetsTarget(figure: BenchFigure): '✓' | '✗' | '' {
  const m = /^\s*(≤|<=|<|≥|>=|>)\s*([\d.,_]+)\s*([^\s(]+)?/.exec(figure.target ?? '');
  if (!m) return '';
  const limit = Number(m[2]!.replace(/[,_]/g, ''));
  const value = convert(figure.value, figure.unit, (m[3] ?? figure.unit).trim());
  if (value === undefined || Number.isNaN(limit)) return '';
  const ok = { '≤': value <= limit, '<=': value <= limit, '<': value < limit, '≥': value >= limit, '>=': value >= limit, '>': value > limit }[m[1]!];
  return ok ? '✓' : '✗';
}

/** A number with sensible precision: thousands separated, three significant digits below 100. */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US');
  return Number(n.toPrecision(3)).toString();
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function figureRow(f: BenchFigure): string {
  const value = `${formatNumber(f.value)} ${f.unit}`;
  const target = f.target ? `${f.target} ${meetsTarget(f)}`.trim() : '';
  const compare = f.compare ? `${formatNumber(f.compare.value)} ${f.unit} (${f.compare.label})` : '';
  const ratio = f.compare && f.compare.value !== 0 ? `${formatNumber(f.value / f.compare.value)}×` : '';
  return `| ${cell(f.name)} | ${cell(value)} | ${cell(target)} | ${cell(compare)} | ${ratio} |`;
}

function stamp(o: ModuleOutcome, run: RunStamp): string {
  const load = o.load ? `, load average ${o.load.before.toFixed(2)} → ${o.load.after.toFixed(2)}` : '';
  return `${run.date} on f2b-fw ${run.f2bfw}${load}`;
}

/** The markdown block of one module, markers included. */
export function renderOutcome(o: ModuleOutcome, run: RunStamp): string {
  const lines = [`<!-- bench:${o.name} -->`];
  if ('error' in o) {
    lines.push(`## ${o.name}`, '', `**Failed** on ${stamp(o, run)} after ${formatNumber(o.seconds)} s — no figures:`, '', '```', o.error.trimEnd(), '```');
  } else {
    const s = o.section;
    lines.push(`## ${s.title}`, '', `Command: \`${s.command}\` — measured ${stamp(o, run)}, took ${formatNumber(o.seconds)} s.`, '');
    if (s.figures.length === 0) lines.push('(no figures reported)');
    else {
      lines.push('| Figure | f2b-fw | Target | Compare | f2b-fw ÷ compare |', '|---|---:|---|---:|---:|');
      for (const f of s.figures) lines.push(figureRow(f));
    }
    if (s.notes && s.notes.length > 0) lines.push('', ...s.notes.map((n) => `- ${n}`));
    if (s.markdown && s.markdown.length > 0) lines.push('', ...s.markdown);
  }
  lines.push(`<!-- /bench:${o.name} -->`);
  return lines.join('\n');
}

/** Finds the module blocks of a previous docs/benchmarks.md, by module name, in order. */
export function previousBlocks(doc: string): Map<string, string> {
  const blocks = new Map<string, string>();
  for (const m of doc.matchAll(/<!-- bench:([\w.-]+) -->[\s\S]*?<!-- \/bench:\1 -->/g)) blocks.set(m[1]!, m[0]);
  return blocks;
}

function machineBlock(m: MachineInfo, all: readonly string[]): string {
  return [
    '## Machine',
    '',
    '| | |',
    '|---|---|',
    `| CPU | ${cell(m.cpu)} |`,
    `| Cores | ${m.cores} |`,
    `| Memory | ${m.memoryGiB} GiB |`,
    `| Kernel | ${cell(m.kernel)} |`,
    `| OS | ${cell(m.debian)} |`,
    `| Node.js | ${m.node} |`,
    `| nftables | ${cell(m.nft)} |`,
    `| fail2ban (for comparison) | ${cell(m.fail2ban)}${m.fail2ban === FAIL2BAN_NONE ? ' — f2b-fw measured alone' : ''} |`,
    '',
    `Modules: ${all.join(', ')}. Reproduce all with \`npm run bench\`, one with \`npm run bench -- NAME\`.`,
    'Each section says when it was measured, on which f2b-fw commit and under which load average (1 min, start → end):',
    'sections from earlier runs keep theirs.',
  ].join('\n');
}

/**
 * The whole document: machine info, then every module's block — this run's
 * outcome where it ran, else its block from `previous` (the old document);
 * blocks of modules that no longer exist are dropped.
 */
export function renderDocument(machine: MachineInfo, outcomes: readonly ModuleOutcome[], all: readonly string[], previous: string): string {
  const old = previousBlocks(previous);
  const fresh = new Map(outcomes.map((o) => [o.name, renderOutcome(o, machine)]));
  const blocks = all.map((n) => fresh.get(n) ?? old.get(n)).filter((b): b is string => b !== undefined);
  return [
    '# Benchmarks',
    '',
    'Written by `npm run bench` (bench/run.ts); do not edit by hand. Each figure says what the issue',
    'targets and, where one was measured on the same machine in the same run, the tool compared with.',
    '',
    machineBlock(machine, all),
    '',
    ...blocks.flatMap((b) => [b, '']),
  ].join('\n');
}
