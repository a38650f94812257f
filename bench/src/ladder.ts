/**
 * The ladder, each rung defined once: what the bench calls it, how the report names and
 * describes it, its colour, the session it runs, and the reference pipeline's published
 * figures where the reference has that rung. The bench's strategy list, the report's
 * rung order, labels and colours all come from here.
 */
import type { Isolation, StrategyName } from 'tessera/internal/strategies/types';
import type { BenchReport, BenchResult } from './types.js';

/** The reference pipeline (Go + Rust/WasmEdge): grayscale on the 24-image Kodak set in 256×256 tiles. */
export const REFERENCE_LADDER = {
  machine: 'M3 MacBook Air',
  cores: 8,
  /** Workers of its multi-threaded figures. */
  workers: 8,
} as const;

/** One rung of the ladder. */
export interface Rung {
  /** The bench's name for it (`--strategies`, `BenchResult.strategy`). */
  readonly strategy: string;
  /** Its name in the report's ladder table. */
  readonly name: string;
  /** Its row label in bench.md; default `name → \`strategy\``. */
  readonly markdown?: string;
  /** What moves the pixels, one clause. */
  readonly what: string;
  /** The chart colour. */
  readonly color: string;
  /** The session it runs. */
  readonly session: { readonly strategy: StrategyName; readonly isolation: Isolation };
  /** The reference's published wall time for it, one thread and {@link REFERENCE_LADDER}.workers, and what the reference does. */
  readonly reference?: { readonly singleS: number; readonly multiS: number; readonly what: string };
}

/** The rungs, bottom of the ladder first. */
export const RUNGS = [
  {
    strategy: 'disk',
    name: 'naive',
    what: 'each tile PNG-encoded to a temp dir; a fresh filter process per tile',
    color: '#9c6b98',
    session: { strategy: 'disk', isolation: 'pooled' },
    reference: { singleS: 30.3, multiS: 9.8, what: 'tiles PNG-encoded to disk, a WASM runtime process per tile' },
  },
  {
    strategy: 'pipe',
    name: 'optimized',
    what: 'tiles streamed through stdin/stdout of long-lived WASI filter processes',
    color: '#f28e2b',
    session: { strategy: 'pipe', isolation: 'pooled' },
    reference: { singleS: 29.4, multiS: 8.7, what: 'tiles in memory, piped through stdin/stdout' },
  },
  {
    strategy: 'copy',
    name: 'super optimized',
    what: 'raw tile bytes copied into a pooled instance’s linear memory',
    color: '#4e79a7',
    session: { strategy: 'copy', isolation: 'pooled' },
    reference: { singleS: 24.73, multiS: 7.72, what: 'raw pointers into linear memory' },
  },
  {
    strategy: 'copy-instance',
    name: 'fresh instance per tile',
    markdown: '`copy`, fresh instance per tile',
    what: 'as copy, but every tile gets a fresh instance (fresh globals and zeroed memory)',
    color: '#76b7b2',
    session: { strategy: 'copy', isolation: 'instance' },
  },
  {
    strategy: 'shared',
    name: 'zero-copy (new)',
    markdown: 'zero-copy → `shared`',
    what: 'one shared memory; a tile is an offset and a stride, nothing copied',
    color: '#e15759',
    session: { strategy: 'shared', isolation: 'pooled' },
  },
] as const satisfies readonly Rung[];

/** A tessera rung the bench knows. */
export type BenchStrategy = (typeof RUNGS)[number]['strategy'];

/** Every rung's strategy, bottom of the ladder first. */
export const BENCH_STRATEGIES: readonly BenchStrategy[] = RUNGS.map((r) => r.strategy);

/** The rung of `strategy`; undefined for anything else (a peer, `queue×K`). */
export function rungOf(strategy: string): Rung | undefined {
  return (RUNGS as readonly Rung[]).find((r) => r.strategy === strategy);
}

/** A rung's row label in bench.md. */
export function markdownRungLabel(rung: Rung): string {
  return rung.markdown ?? `${rung.name} → \`${rung.strategy}\``;
}

/** The cell of `filter` × `strategy` × `workers`, if it was measured. */
export function findResult(bench: Pick<BenchReport, 'results'>, filter: string, strategy: string, workers: number): BenchResult | undefined {
  return bench.results.find((r) => r.filter === filter && r.strategy === strategy && r.workers === workers);
}
