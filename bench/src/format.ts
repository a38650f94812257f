/**
 * How the bench writes numbers, in one place: durations, ratios, sizes, counts, and the
 * Markdown table every .md file is made of. bench.md, startup.md, the HTML report and the
 * progress lines each name a precision here instead of formatting a number their own way.
 */

/**
 * Digits a duration keeps:
 * - `sig3`, the HTML report: three significant digits — 512 µs, 9.80 ms, 213 ms, 1.35 s;
 * - `table`, bench.md: whole ms below a second, then 1.35 s, 26.1 s;
 * - `fine`, startup.md: 450 µs, 9.8 ms, 213 ms, 1500 ms (never seconds: start-up steps are short);
 * - `whole`, progress lines: whole ms — 213 ms, 1500 ms;
 * - `hundredths`, per-tile overheads: 0.35 ms, 1.20 ms.
 */
export type MsPrecision = 'sig3' | 'table' | 'fine' | 'whole' | 'hundredths';

/** Formats milliseconds; '—' for a value that is not finite. */
export function formatMs(ms: number, precision: MsPrecision = 'sig3'): string {
  if (!Number.isFinite(ms)) return '—';
  switch (precision) {
    case 'sig3':
      return ms >= 1000 ? `${(ms / 1000).toPrecision(3)} s` : ms >= 1 ? `${ms.toPrecision(3)} ms` : `${(ms * 1000).toPrecision(3)} µs`;
    case 'table':
      return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
    case 'fine':
      return ms >= 100 ? `${ms.toFixed(0)} ms` : ms >= 1 ? `${ms.toFixed(1)} ms` : `${(ms * 1000).toFixed(0)} µs`;
    case 'whole':
      return `${ms.toFixed(0)} ms`;
    case 'hundredths':
      return `${ms.toFixed(2)} ms`;
  }
}

/**
 * Digits a ratio keeps:
 * - `report`, the HTML report and the whole-process tables: 1.07×, 23×, 2,170×;
 * - `table`, bench.md's ladder: 1.1×, 23×;
 * - `tenths`, startup.md's isolation levels: 1.2×, 213.4×;
 * - `whole`, startup.md's large module: 23×.
 */
export type RatioPrecision = 'report' | 'table' | 'tenths' | 'whole';

/** Formats a ratio with its × sign; '—' for a value that is not finite. */
export function formatRatio(r: number, precision: RatioPrecision = 'report'): string {
  if (!Number.isFinite(r)) return '—';
  switch (precision) {
    case 'report':
      return r >= 100 ? `${Math.round(r).toLocaleString('en')}×` : r >= 10 ? `${r.toFixed(0)}×` : `${r.toFixed(2)}×`;
    case 'table':
      return `${r >= 10 ? r.toFixed(0) : r.toFixed(1)}×`;
    case 'tenths':
      return `${r.toFixed(1)}×`;
    case 'whole':
      return `${r.toFixed(0)}×`;
  }
}

/** Formats bytes as KiB or MiB, one decimal. */
export function formatBytes(b: number): string {
  return b >= 2 ** 20 ? `${(b / 2 ** 20).toFixed(1)} MiB` : `${(b / 1024).toFixed(1)} KiB`;
}

/** An image size in megapixels: whole from 10 Mpx, two significant digits below — 144 Mpx, 1 Mpx, 0.36 Mpx. */
export function formatMpx(mpx: number): string {
  return `${mpx >= 10 ? Math.round(mpx) : Number(mpx.toPrecision(2))} Mpx`;
}

/** "1 worker", "2 workers". */
export function countOf(n: number, noun: string): string {
  return `${n} ${noun}${n > 1 ? 's' : ''}`;
}

/** Column alignment of a Markdown table. */
export type Align = 'left' | 'right' | 'center';

const RULE: Record<Align | 'none', string> = { none: '---', left: ':---', right: '---:', center: ':---:' };

/** A Markdown pipe table: the header, the rule (aligned per column where `align` says), the rows. */
export function markdownTable(headers: readonly string[], rows: readonly (readonly string[])[], align?: readonly Align[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map((_, i) => RULE[align?.[i] ?? 'none'])), ...rows.map(line)].join('\n');
}
