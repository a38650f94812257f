/**
 * `tessera bench`: the matrix filter × strategy × workers plus peers, each cell after
 * warm-up and repeated, every output verified, on the same images in one process.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyReference } from 'tessera/internal/reference/apply-reference';
import { decodeImage, type DecodedImage } from 'tessera/internal/io/decode';
import { ENCODE_OPTIONS } from 'tessera/internal/io/encode';
import { listInputs } from 'tessera/internal/io/inputs';
import { Session } from 'tessera/internal/pipeline/session';
import { DEFAULT_TILE_SIZE } from 'tessera/internal/pipeline/defaults';
import { ErrorCode, TesseraError, errorMessage } from 'tessera/internal/errors';
import { builtinFilterNames, loadFilter } from 'tessera/internal/filter/filter-module';
import { measureKernels, nativeKernelSpecs } from './kernels.js';
import { resolveParams } from 'tessera/internal/filter/params';
import { defaultBenchDataset } from './dataset.js';
import { machineInfo } from './machine.js';
import { TESSERA_VERSION } from './tessera-install.js';
import { createPeer, PEER_NAMES, type Peer, type PeerFilter, type PeerName } from './peers/index.js';
import { BENCH_STRATEGIES, rungOf, type BenchStrategy } from './ladder.js';
import { RssSampler } from './rss-sampler.js';
import { allEqual, equalBytes, readOutputs } from './verify.js';
import { median, medianIndex } from './stats.js';
import type { BenchReport, BenchResult, BigCase, BigImageRun, ProcessCell } from './types.js';
import { PROCESS_FILTERS, processCellSupports, processInputFolder, runProcessCell, type ProcessInput } from './process/process-cells.js';
import { SHARP_SIGMA } from './peers/sharp-ops.js';
import type { StageTimes } from 'tessera/internal/pipeline/stages';
import { bigCaseSettings, runBigCase } from './big/run-big.js';
import { perImageAuthCost, perImageOverhead, startQueueCluster, type QueueCluster } from './cluster/queue-cluster.js';

/** A cell whose first run takes longer than this is not repeated (it would blow the ~5 minute budget). */
export const CELL_BUDGET_MS = 20_000;

export { BENCH_STRATEGIES, type BenchStrategy } from './ladder.js';

/** Options of {@link runBench}. */
export interface BenchOptions {
  /** Folder of images; default: the synthetic Kodak-shaped set, generated on first use. */
  input?: string;
  /** @defaultValue ['grayscale', 'gaussian-blur'] */
  filters?: string[];
  /** Sigma of gaussian-blur for tessera and every peer. @defaultValue 2 */
  sigma?: number;
  /** @defaultValue every rung (`disk` for grayscale only: the reference's ladder is grayscale, and a run takes ~30 s) */
  strategies?: BenchStrategy[];
  /** @defaultValue [1, os.availableParallelism()] */
  workers?: number[];
  /** Timed runs per cell. @defaultValue 5 */
  repeat?: number;
  /** Untimed runs before them (the first is the cold run). @defaultValue 1 */
  warmup?: number;
  /** Timed runs of `disk` cells, which take ~100 ms per tile. @defaultValue 1 */
  diskRepeat?: number;
  /**
   * Timed pairs of each whole-process cell (`tessera run` and the sharp script as child
   * processes, on the data set and on its first image, for grayscale and gaussian-blur);
   * 0 for none. @defaultValue 5
   */
  processRepeat?: number;
  /** @defaultValue every peer */
  peers?: PeerName[];
  /** Only the first `images` images of the input. */
  images?: number;
  tileSize?: number;
  /** Where tessera's tiles run: `local` threads and/or `queue` (`copy` cells through BullMQ on Redis, labelled `queue×K`). @defaultValue ['local'] */
  backends?: Array<'local' | 'queue'>;
  /** `tessera worker` processes started for the queue backend. @defaultValue 2 */
  queueWorkers?: number;
  /** Redis URL for the queue backend; default: a private redis-server on a free port. */
  redis?: string;
  /**
   * The big case (`big/run-big.ts`): one large generated image blurred by `tessera run` and by
   * a sharp script as whole processes, at each of `sides` (the largest the headline, timed over
   * `pairs` pairs); `false` for none. Run when `filters` has gaussian-blur.
   * @defaultValue sides 1000, 4000, 8000, 12000; 3 pairs
   */
  big?: { sides?: readonly number[]; pairs?: number; warmup?: number } | false;
  /** Called when a cell starts and when it ends. */
  onCell?: (event: { label: string; index: number; total: number; result?: BenchResult; process?: ProcessCell; big?: BigImageRun; skipped?: string }) => void;
}

interface Dataset {
  path: string;
  files: string[];
  decoded: Map<string, DecodedImage>;
  megapixels: number;
}

function sigmaParams(filter: string, sigma: number): Record<string, number> {
  return filter === 'gaussian-blur' ? { sigma } : {};
}

function freshDir(root: string, name: string): string {
  const dir = join(root, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

function summarize(base: Omit<BenchResult, 'medianMs' | 'minMs' | 'maxMs' | 'mpxPerS' | 'runs'>, megapixels: number): BenchResult {
  const s = base.samplesMs;
  const med = median(s);
  return {
    ...base,
    runs: s.length,
    medianMs: med,
    minMs: Math.min(...s),
    maxMs: Math.max(...s),
    mpxPerS: megapixels / (med / 1000),
  };
}

type TesseraSettings = Required<Pick<BenchOptions, 'sigma' | 'repeat' | 'warmup' | 'diskRepeat' | 'tileSize'>>;

/**
 * One tessera cell (filter × rung × workers) with its session kept open, so that the
 * cells of a filter can be run in interleaved rounds: a drift of the machine (another
 * process, thermal state) then hits every rung alike instead of whichever ran last.
 */
class TesseraCell {
  readonly samples: number[] = [];
  readonly stageSamples: StageTimes[] = [];
  readonly filterStageMs: number[] = [];
  verified = true;
  coldMs = NaN;
  peakRssMb = 0;
  private session!: Session;
  private readonly outDir: string;

  constructor(
    private readonly data: Dataset,
    readonly filter: string,
    readonly strategy: BenchStrategy,
    readonly workers: number,
    private readonly settings: TesseraSettings,
    private readonly expected: Map<string, Uint8Array>,
    scratch: string,
    /** Run through the queue backend (tiles on `tessera worker` processes). */
    private readonly queue?: QueueCluster,
  ) {
    this.outDir = freshDir(scratch, `${filter}-${strategy}-${workers}${queue ? `-queue${queue.secret ? '-signed' : ''}` : ''}`);
  }

  get isDisk(): boolean {
    return this.strategy === 'disk';
  }

  /** Timed runs this cell gets. */
  get repeat(): number {
    return this.isDisk ? Math.min(this.settings.repeat, this.settings.diskRepeat) : this.settings.repeat;
  }

  /** Starts the session; its first run is the cold run (for `disk` also the first timed run), the warm-ups follow. */
  async open(): Promise<void> {
    const t0 = performance.now();
    const { session } = rungOf(this.strategy)!;
    this.session = new Session({
      filter: this.filter,
      params: sigmaParams(this.filter, this.settings.sigma),
      strategy: session.strategy,
      isolation: session.isolation,
      workers: this.workers,
      // A warm cell measures what its worker count does: the threads start with the session.
      // (By default a built-in filter's threads start only once its tiles prove heavy —
      // what a user gets, measured by the whole-process cells.)
      threadStart: 'eager',
      tileSize: this.settings.tileSize,
      ...(this.queue ? { backend: 'queue' as const, redis: this.queue.url, secret: this.queue.secret } : {}),
    });
    await this.run(this.isDisk);
    this.coldMs = performance.now() - t0;
    for (let i = 1; i < (this.isDisk ? 0 : this.settings.warmup); i++) await this.run(false);
  }

  /** One run over every image; every output decoded and compared with the reference. */
  async run(timed = true): Promise<void> {
    const rss = new RssSampler();
    rss.start();
    const summary = await this.session.run(this.data.files, this.outDir);
    this.peakRssMb = Math.max(this.peakRssMb, rss.stop());
    if (summary.failed > 0) throw new Error(summary.results.find((r) => r.error)!.error);
    this.verified &&= allEqual(await readOutputs(this.outDir, this.data.files), this.expected, this.data.files);
    if (timed) {
      this.samples.push(summary.elapsedMs);
      this.stageSamples.push(summary.stages);
    }
  }

  /** `copy` and `shared`: the filter stage alone — decoded pixels in, filtered pixels out, all images in flight. */
  get measuresFilterStage(): boolean {
    return this.strategy === 'copy' || this.strategy === 'shared';
  }

  async filterStageRound(timed: boolean): Promise<void> {
    const images = [...this.data.decoded.entries()];
    const s = performance.now();
    const outs = await Promise.all(images.map(([f, img]) => this.session.filterPixels(img.data, img.width, img.height, f)));
    if (timed) this.filterStageMs.push(performance.now() - s);
    this.verified &&= outs.every((o, k) => equalBytes(o, this.expected.get(images[k][0])!));
  }

  async close(): Promise<void> {
    await this.session?.close();
  }

  result(): BenchResult {
    const fs = this.filterStageMs;
    return summarize(
      {
        filter: this.filter,
        strategy: this.queue ? `queue×${this.queue.workers}${this.queue.secret ? ' signed' : ''}` : this.strategy,
        kind: 'tessera',
        workers: this.queue ? this.queue.workers : this.workers,
        samplesMs: this.samples,
        coldMs: this.coldMs,
        stages: this.stageSamples[medianIndex(this.samples)] ?? null,
        peakRssMb: this.peakRssMb,
        verified: this.verified,
        ...(fs.length ? { filterStage: { medianMs: median(fs), mpxPerS: this.data.megapixels / (median(fs) / 1000), runs: fs.length } } : {}),
        ...(this.isDisk && this.repeat === 1 ? { notes: 'one timed run (a process per tile takes ~200 ms)' } : {}),
      },
      this.data.megapixels,
    );
  }
}

/** Runs the cells of one filter: `disk` alone (slow), the others open together and timed in interleaved rounds. */
async function benchTesseraCells(cells: TesseraCell[], onProgress: (label: string) => void): Promise<BenchResult[]> {
  const label = (c: TesseraCell) => `${c.filter} ${c.strategy} ×${c.workers}`;
  for (const cell of cells.filter((c) => c.isDisk)) {
    onProgress(label(cell));
    try {
      await cell.open();
      for (let i = 1; i < cell.repeat; i++) await cell.run();
    } finally {
      await cell.close();
    }
  }
  const rest = cells.filter((c) => !c.isDisk);
  try {
    for (const cell of rest) {
      onProgress(`${label(cell)}: cold run and warm-up`);
      await cell.open();
    }
    const rounds = Math.max(0, ...rest.map((c) => c.repeat));
    for (let r = 0; r < rounds; r++) {
      onProgress(`${cells[0]?.filter} round ${r + 1}/${rounds}`);
      for (const cell of rest) await cell.run();
    }
    const stageCells = rest.filter((c) => c.measuresFilterStage);
    for (const cell of stageCells) await cell.filterStageRound(false);
    for (let r = 0; r < rounds; r++) for (const cell of stageCells) await cell.filterStageRound(true);
  } finally {
    for (const cell of rest) await cell.close();
  }
  return cells.map((c) => c.result());
}

async function benchPeer(
  data: Dataset, peer: Peer, filter: PeerFilter, workers: number, options: Required<Pick<BenchOptions, 'repeat' | 'warmup'>>,
  baselines: Map<string, Map<string, Uint8Array>>, initMs: number, scratch: string,
  /** tessera's reference outputs of this filter, RGBA by file: the baseline of a peer that `matchesReference`. */
  reference?: Map<string, Uint8Array>,
): Promise<BenchResult> {
  const outDir = freshDir(scratch, `${peer.name}-${filter.name}-${workers}`);
  const rss = new RssSampler();
  rss.start();
  const key = `${peer.name}/${filter.name}`;
  if (peer.matchesReference) {
    if (!reference) throw new Error(`${peer.name}: no reference outputs to check ${filter.name} against`);
    baselines.set(key, reference);
    baselines.set(`${key}/pixels`, reference);
  }
  const samples: number[] = [];
  let coldMs = NaN;
  let verified = true;
  let notes: string | undefined;
  let runs = options.warmup + options.repeat;
  for (let i = 0; i < runs; i++) {
    const { wallMs } = await peer.runFiles(data.files, outDir, filter, workers);
    if (i === 0) coldMs = initMs + wallMs;
    const outputs = await readOutputs(outDir, data.files);
    if (!baselines.has(key)) baselines.set(key, outputs);
    verified &&= allEqual(outputs, baselines.get(key)!, data.files);
    if (i === 0 && wallMs > CELL_BUDGET_MS) {
      // Too slow to repeat within the bench's time budget: the cold run is the only sample.
      samples.push(wallMs);
      runs = 1;
      notes = `one run, no warm-up: a run takes ${(wallMs / 1000).toFixed(0)} s, over the ${CELL_BUDGET_MS / 1000} s cell budget`;
    } else if (i >= options.warmup) samples.push(wallMs);
  }
  let filterStage: BenchResult['filterStage'];
  if (peer.runPixels && runs === 1 && notes) {
    notes += '; filter stage not measured separately';
  } else if (peer.runPixels) {
    const images = [...data.decoded.values()].map((d) => ({ rgba: d.data, width: d.width, height: d.height }));
    const times: number[] = [];
    const pixKey = `${key}/pixels`;
    for (let i = 0; i < options.repeat + 1; i++) {
      const { wallMs, outputs } = await peer.runPixels(images, filter, workers);
      const byFile = new Map(data.files.map((f, k) => [f, outputs[k]]));
      if (!baselines.has(pixKey)) baselines.set(pixKey, byFile);
      verified &&= allEqual(byFile, baselines.get(pixKey)!, data.files);
      if (i > 0) times.push(wallMs);
    }
    filterStage = { medianMs: median(times), mpxPerS: data.megapixels / (median(times) / 1000), runs: times.length };
  }
  return summarize(
    {
      filter: filter.name,
      strategy: peer.name,
      kind: 'peer',
      workers: peer.effectiveWorkers(workers),
      samplesMs: samples,
      coldMs,
      stages: null,
      peakRssMb: rss.stop(),
      verified,
      ...(filterStage ? { filterStage } : {}),
      ...(notes ? { notes } : {}),
    },
    data.megapixels,
  );
}

async function loadDataset(input: string | undefined, limit: number | undefined): Promise<Dataset> {
  const path = input ?? (await defaultBenchDataset());
  let { files } = listInputs(path);
  if (limit !== undefined) files = files.slice(0, limit);
  const decoded = new Map<string, DecodedImage>();
  for (const f of files) decoded.set(f, await decodeImage(f));
  const megapixels = [...decoded.values()].reduce((s, d) => s + (d.width * d.height) / 1e6, 0);
  return { path, files, decoded, megapixels };
}

/** The inputs of the whole-process cells: the whole data set and, when it has more than one image, its first image alone. */
function processCellInputs(data: Dataset, scratch: string): ProcessInput[] {
  const sizes = new Map([...data.decoded].map(([f, d]) => [f, { width: d.width, height: d.height }]));
  const all: ProcessInput = { kind: 'dataset', path: processInputFolder(data.path, data.files, scratch), files: data.files, sizes, megapixels: data.megapixels };
  if (data.files.length < 2) return [all];
  const first = data.files[0];
  const d = data.decoded.get(first)!;
  return [all, { kind: 'image', path: first, files: [first], sizes, megapixels: (d.width * d.height) / 1e6 }];
}

/**
 * Runs the benchmark matrix and returns the report (see `writeBenchReport` for the files).
 * @throws TesseraError Usage for unknown filters, strategies or peers
 */
export async function runBench(options: BenchOptions = {}): Promise<BenchReport> {
  const filters = options.filters ?? ['grayscale', 'gaussian-blur'];
  const strategies = options.strategies ?? [...BENCH_STRATEGIES];
  const strategiesFor = (filter: string) =>
    options.strategies || filter === 'grayscale' ? strategies : strategies.filter((s) => s !== 'disk');
  const workerCounts = options.workers ?? [...new Set([1, availableParallelism()])];
  const peerNames = options.peers ?? [...PEER_NAMES];
  const sigma = options.sigma ?? 2;
  const settings = {
    sigma,
    repeat: options.repeat ?? 5,
    warmup: options.warmup ?? 1,
    diskRepeat: options.diskRepeat ?? 1,
    tileSize: options.tileSize ?? DEFAULT_TILE_SIZE,
  };
  for (const s of strategies) {
    if (!BENCH_STRATEGIES.includes(s)) throw new TesseraError(ErrorCode.Usage, `unknown strategy "${s}"; valid: ${BENCH_STRATEGIES.join(', ')}`);
  }
  for (const p of peerNames) {
    if (!PEER_NAMES.includes(p)) throw new TesseraError(ErrorCode.Usage, `unknown peer "${p}"; valid: ${PEER_NAMES.join(', ')}`);
  }
  const processRepeat = options.processRepeat ?? 5;
  if (settings.repeat < 1 || settings.warmup < 0) throw new TesseraError(ErrorCode.Usage, 'repeat must be ≥ 1 and warmup ≥ 0');
  if (!(Number.isInteger(processRepeat) && processRepeat >= 0)) throw new TesseraError(ErrorCode.Usage, 'processRepeat must be an integer ≥ 0');
  // The big case compares tessera's gaussian-blur with sharp's; its settings are checked before the matrix runs for minutes.
  const big = options.big === false || !filters.includes('gaussian-blur') ? undefined : bigCaseSettings(options.big ?? {});
  const data = await loadDataset(options.input, options.images);
  const kernels = await measureKernels(
    [...data.decoded.values()],
    [
      ...builtinFilterNames().map((name) => ({ name, params: sigmaParams(name, sigma), group: name })),
      ...nativeKernelSpecs((name) => sigmaParams(name, sigma)),
    ],
  );
  const scratch = mkdtempSync(join(tmpdir(), 'tessera-bench-'));
  const results: BenchResult[] = [];
  const skipped: BenchReport['skipped'] = [];
  const peerFilters = filters.filter((f) => f === 'grayscale' || f === 'gaussian-blur').map((name) => ({ name, sigma }) as PeerFilter);
  const backends = options.backends ?? ['local'];
  const local = backends.includes('local');
  const queueWorkers = options.queueWorkers ?? 2;
  const processInputs = processRepeat > 0 ? processCellInputs(data, scratch) : [];
  const processFilters: string[] = processRepeat > 0 ? filters.filter((f) => processCellSupports(f, sigma)) : [];
  const runBig = big !== undefined && processCellSupports('gaussian-blur', sigma);
  const total =
    (runBig ? big.sides.length : 0) +
    (local ? filters.reduce((n, f) => n + strategiesFor(f).length, 0) * workerCounts.length : 0) +
    (backends.includes('queue') ? filters.length * (options.redis ? 1 : 2) : 0) +
    peerNames.length * peerFilters.length * workerCounts.length +
    processFilters.length * processInputs.length;
  const processCells: ProcessCell[] = [];
  if (big && !runBig) skipped.push({ strategy: 'gaussian-blur whole process, one big image', reason: `sharp's blur takes sigma ${SHARP_SIGMA.min}–${SHARP_SIGMA.max}, not ${sigma}` });
  let bigCase: BigCase | undefined;
  for (const f of processRepeat > 0 ? filters : []) {
    if ((PROCESS_FILTERS as readonly string[]).includes(f) && !processFilters.includes(f)) {
      skipped.push({ strategy: `${f} whole process`, reason: `sharp's blur takes sigma ${SHARP_SIGMA.min}–${SHARP_SIGMA.max}, not ${sigma}` });
    }
  }
  const expectedByFilter = new Map<string, Map<string, Uint8Array>>();
  // Kept for the whole run only when something is checked against them (every image of the set, filtered, per filter).
  const checksReference = peerNames.some((name) => createPeer(name).matchesReference);
  let index = 0;
  let cluster: QueueCluster | undefined;
  /** A second cluster, on a Redis of its own, whose workers take only signed jobs: what authentication costs. */
  let signedCluster: QueueCluster | undefined;
  try {
    if (backends.includes('queue')) {
      cluster = await startQueueCluster(queueWorkers, options.redis);
      if (options.redis) skipped.push({ strategy: `queue×${queueWorkers} signed`, reason: 'needs a Redis of its own (its workers refuse unsigned jobs): run without --redis' });
      else signedCluster = await startQueueCluster(queueWorkers, undefined, randomBytes(16).toString('hex'));
    }
    for (const filter of filters) {
      const module = loadFilter(filter);
      const params = resolveParams(module.manifest, sigmaParams(filter, sigma));
      const expected = new Map<string, Uint8Array>();
      for (const [f, img] of data.decoded) expected.set(f, applyReference(module.name, params, img.data, img.width, img.height));
      if (processFilters.includes(filter) || checksReference) expectedByFilter.set(filter, expected);
      const cells = (local ? strategiesFor(filter) : []).flatMap((strategy) =>
        workerCounts.map((workers) => new TesseraCell(data, filter, strategy, workers, settings, expected, scratch)),
      );
      if (cluster) cells.push(new TesseraCell(data, filter, 'copy', Math.max(...workerCounts), settings, expected, scratch, cluster));
      if (signedCluster) cells.push(new TesseraCell(data, filter, 'copy', Math.max(...workerCounts), settings, expected, scratch, signedCluster));
      const filterResults = await benchTesseraCells(cells, (label) => options.onCell?.({ label, index, total }));
      const queued = filterResults.find((r) => r.strategy.startsWith('queue×') && !r.strategy.endsWith('signed'));
      const signed = filterResults.find((r) => r.strategy.startsWith('queue×') && r.strategy.endsWith('signed'));
      const copy = filterResults.filter((r) => r.strategy === 'copy').sort((a, b) => b.workers - a.workers)[0];
      const images = data.files.length;
      if (queued && copy) queued.notes = perImageOverhead(queued, copy, images);
      if (signed && queued) signed.notes = perImageAuthCost(signed, queued, images);
      for (const result of filterResults) {
        index++;
        options.onCell?.({ label: `${result.filter} ${result.strategy} ×${result.workers}`, index, total, result });
      }
      results.push(...filterResults);
    }
    const baselines = new Map<string, Map<string, Uint8Array>>();
    for (const name of peerNames) {
      const peer = createPeer(name);
      let initMs: number;
      try {
        initMs = await peer.init();
      } catch (err) {
        skipped.push({ strategy: name, reason: errorMessage(err) });
        index += peerFilters.length * workerCounts.length;
        options.onCell?.({ label: name, index, total, skipped: errorMessage(err) });
        continue;
      }
      try {
        for (const filter of peerFilters) {
          if (!peer.supports(filter)) {
            index += workerCounts.length;
            continue;
          }
          const done = new Set<number>();
          for (const workers of workerCounts) {
            const label = `${filter.name} ${name} ×${workers}`;
            const effective = peer.effectiveWorkers(workers);
            if (done.has(effective)) {
              index++;
              continue;
            }
            done.add(effective);
            options.onCell?.({ label, index: index++, total });
            const result = await benchPeer(data, peer, filter, workers, settings, baselines, initMs, scratch, expectedByFilter.get(filter.name));
            initMs = 0;
            results.push(result);
            options.onCell?.({ label, index, total, result });
          }
        }
      } finally {
        await peer.close();
      }
    }
    for (const filter of processFilters) {
      for (const input of processInputs) {
        const label = `${filter} whole process, ${input.kind === 'image' ? 'one image' : `${input.files.length} images`}`;
        options.onCell?.({ label, index: index++, total });
        const cell = await runProcessCell({
          filter: filter as 'grayscale' | 'gaussian-blur',
          sigma,
          input,
          expected: expectedByFilter.get(filter)!,
          pairs: processRepeat,
          scratch,
          onRun: (l) => options.onCell?.({ label: l, index: index - 1, total }),
        });
        processCells.push(cell);
        options.onCell?.({ label, index, total, process: cell });
      }
    }
    if (runBig) {
      bigCase = await runBigCase({
        ...big,
        sigma,
        scratch,
        onStep: (label) => options.onCell?.({ label, index, total }),
        onSize: (run) => options.onCell?.({ label: `big image ${run.side}×${run.side}`, index: ++index, total, big: run }),
      });
    }
  } finally {
    await Promise.all([cluster?.stop(), signedCluster?.stop()]);
    rmSync(scratch, { recursive: true, force: true });
  }
  return {
    tool: 'tessera',
    version: TESSERA_VERSION,
    date: new Date().toISOString(),
    machine: machineInfo(),
    dataset: { path: data.path, images: data.files.length, megapixels: data.megapixels, synthetic: options.input === undefined },
    settings: { filters, sigma, tileSize: settings.tileSize, repeat: settings.repeat, warmup: settings.warmup, png: ENCODE_OPTIONS.png, processRepeat },
    results,
    processCells,
    ...(bigCase ? { big: bigCase } : {}),
    kernels,
    skipped,
  };
}
