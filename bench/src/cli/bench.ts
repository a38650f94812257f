import { Command, InvalidArgumentError, Option } from 'commander';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { writeHtmlReport } from '../report/html-report.js';
import type { StartupReport } from '../startup/types.js';
import { join, resolve } from 'node:path';
import { runStartupBench } from '../startup/run-startup.js';
import { renderStartupMarkdown } from '../startup/markdown.js';
import cliProgress from 'cli-progress';
import { availableParallelism } from 'node:os';
import { runBench, type BenchOptions } from '../run-bench.js';
import { BENCH_STRATEGIES, type BenchStrategy } from '../ladder.js';
import { countOf, formatMpx, formatMs, formatRatio } from '../format.js';
import { PEER_NAMES, type PeerName } from '../peers/index.js';
import { renderMarkdown } from '../markdown.js';
import { writeBenchReport } from '../write-report.js';
import type { BenchReport, BenchResult, BigImageRun, ProcessCell } from '../types.js';
import { BIG_MAX_SIDE, checkBigSides, DEFAULT_BIG_PAIRS, DEFAULT_BIG_SIDES, QUICK_BIG_SIDES } from '../big/run-big.js';
import { ErrorCode, TesseraError } from 'tessera/internal/errors';
import { commaList, positiveInt } from 'tessera/internal/cli/parse';

interface BenchFlags {
  input?: string;
  filters: string[];
  strategies?: string[];
  workers: string[];
  repeat?: number;
  warmup?: string;
  processRepeat?: number;
  peers: string[];
  quick?: boolean;
  out: string;
  sigma: string;
  images?: number;
  backends: string[];
  queueWorkers: number;
  redis?: string;
  big: boolean;
  bigSizes?: number[];
}

function cellLine(r: BenchResult): string {
  const ms = (v: number) => formatMs(v, 'whole');
  const stage = r.filterStage ? `, filter stage ${ms(r.filterStage.medianMs)}` : '';
  const overhead = r.strategy.startsWith('queue×') && r.notes ? ` — ${r.notes}` : '';
  return `${r.filter} ${r.strategy} ×${r.workers}: median ${ms(r.medianMs)} (${r.mpxPerS.toFixed(1)} Mpx/s)${stage}, cold ${ms(r.coldMs)}${r.verified ? '' : ' — NOT VERIFIED'}${overhead}`;
}

function processLine(c: ProcessCell): string {
  const ms = (v: number) => formatMs(v, 'whole');
  const cmd = (r: ProcessCell['tessera']) => `${r.name} ${ms(r.wall.median)} (CPU ${ms(r.cpu.median)})${r.verified ? '' : ' NOT VERIFIED'}`;
  return `${c.filter} whole process, ${countOf(c.images, 'image')}: ${cmd(c.tessera)} vs ${cmd(c.sharp)} — tessera/sharp ${formatRatio(c.wallRatio.median)} wall, ${formatRatio(c.cpuRatio.median)} CPU (median of ${c.tessera.runs} pairs)`;
}

function bigLine(b: BigImageRun): string {
  const ms = (v: number) => formatMs(v, 'table');
  const rss = (r: BigImageRun['tessera']) => (r.peakRssMb === undefined ? '' : `, peak ${r.peakRssMb.toFixed(0)} MiB`);
  const cmd = (r: BigImageRun['tessera']) => `${r.name} ${ms(r.wall.median)} (CPU ${ms(r.cpu.median)}${rss(r)})${r.verified ? '' : ' NOT VERIFIED'}`;
  const ratio = b.rssRatio === undefined ? '' : `, ${formatRatio(b.rssRatio)} peak RSS`;
  return `gaussian-blur whole process, one ${b.side}×${b.side} image (${formatMpx(b.megapixels)}): ${cmd(b.tessera)} vs ${cmd(b.sharp)} — tessera/sharp ${formatRatio(b.wallRatio.median)} wall, ${formatRatio(b.cpuRatio.median)} CPU${ratio} (${countOf(b.tessera.runs, 'pair')})`;
}

/** Commander parser for `--big-sizes`: a comma list of sides in pixels. */
function bigSides(value: string): number[] {
  const parts = commaList(value);
  if (!parts.length || parts.some((v) => !/^\d+$/.test(v))) throw new InvalidArgumentError(`--big-sizes expects a comma list of sides in pixels, e.g. 1000,4000, got "${value}"`);
  try {
    return checkBigSides(parts.map(Number), '--big-sizes');
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

/** Commander parser for an integer ≥ 0. */
function nonNegativeInt(flag: string): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`${flag} expects an integer >= 0, got "${value}"`);
    return n;
  };
}

function startupCommand(): Command {
  return new Command('startup')
    .description('what a sandbox costs to start and hold: compile tiers, cache, instantiate, isolation levels (up to a fresh runc container per tile), memory per instance and per idle sandbox, artifact sizes, tessera\'s filters as an Extism plugin (per tile and created), and pipe inside containers; writes startup.json and startup.md')
    .option('--filters <list>', 'built-in filters to measure (default: all)', commaList)
    .option('--processes <n>', 'fresh processes for the process-per-tile level', positiveInt('--processes'), 40)
    .option('--tiles <n>', 'tiles timed per in-process isolation level', positiveInt('--tiles'), 1000)
    .option('--instances <n>', 'instances alive at once for memory per instance', positiveInt('--instances'), 1000)
    .option('--no-large-module', "skip wasm-vips' 5 MB module (its TurboFan compile takes seconds)")
    .option('--no-extism', "skip the Extism rows: tessera's grayscale and gaussian-blur as an Extism plugin, per tile (plugin.call vs copy and shared, the call taken apart) and created cold")
    .option('--extism-calls <n>', 'timed plugin.call per Extism path and step (each ~5–10 ms)', positiveInt('--extism-calls'), 300)
    .option('--no-containers', 'skip containers beside WebAssembly: a fresh bwrap sandbox and a fresh runc container per tile, idle sandboxes\' memory, the container image\'s size, pipe inside containers (Linux; runc needs root)')
    .option('--sandbox-starts <n>', 'fresh bwrap sandboxes and runc containers timed per level, after one cold start (each ~40–100 ms)', positiveInt('--sandbox-starts'), 40)
    .option('--idle-sandboxes <n>', 'idle sandboxes of each kind (runc, bwrap, plain process) held at once for their memory (each ~10–45 MiB)', positiveInt('--idle-sandboxes'), 10)
    .option('--pipe-images <n>', 'images of the bench\'s set for pipe inside containers', positiveInt('--pipe-images'), 24)
    .option('--pipe-rounds <n>', 'timed rounds of pipe, pipe under bwrap and pipe under runc (0: none)', nonNegativeInt('--pipe-rounds'), 5)
    .option('-o, --out <dir>', 'where startup.json and startup.md go', 'bench-results')
    .addHelpText(
      'after',
      `
Containers are named tessera-ct-<pid>-…; every one is deleted (runc delete --force) at the end,
on an error and on Ctrl-C, and those of a run killed before its teardown at the next start.
Needs runc and bwrap (apt-get install runc bubblewrap) and root for runc; without them those rows
are skipped, saying why.`,
    )
    .action(async (flags: {
      filters?: string[]; processes: number; tiles: number; instances: number; largeModule: boolean; extism: boolean; extismCalls: number;
      containers: boolean; sandboxStarts: number; idleSandboxes: number; pipeImages: number; pipeRounds: number; out: string;
    }) => {
      const t0 = performance.now();
      const report = await runStartupBench({
        filters: flags.filters, processes: flags.processes, tiles: flags.tiles, instances: flags.instances, largeModule: flags.largeModule,
        extism: flags.extism, extismCalls: flags.extismCalls,
        containers: flags.containers, sandboxStarts: flags.sandboxStarts, idleSandboxes: flags.idleSandboxes, pipeImages: flags.pipeImages, pipeRounds: flags.pipeRounds,
        onStep: (s) => process.stderr.write(`${s}\n`),
      });
      const dir = resolve(flags.out);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'startup.json'), JSON.stringify(report, null, 2) + '\n');
      const md = renderStartupMarkdown(report);
      writeFileSync(join(dir, 'startup.md'), md);
      process.stdout.write(md);
      const benchFile = join(dir, 'bench.json');
      if (existsSync(benchFile)) {
        const html = await writeHtmlReport(JSON.parse(readFileSync(benchFile, 'utf8')) as BenchReport, join(dir, 'report.html'), report);
        process.stderr.write(`rebuilt ${html} with the start-up section\n`);
      }
      process.stderr.write(`\nstartup bench finished in ${((performance.now() - t0) / 1000).toFixed(0)} s; wrote ${join(dir, 'startup.json')}\n`);
    });
}

interface ClusterFlags {
  input?: string;
  images: number;
  filters: string[];
  sigma: string;
  workers: string[];
  repeat?: number;
  cpu: string;
  concurrency: number;
  workerStrategy?: string;
  splitAbove?: string;
  faults?: string | boolean;
  cutSeconds: string;
  faultAt: string;
  runTimeout: number;
  out: string;
}

function clusterCommand(): Command {
  const inCi = !['', '0', 'false'].includes((process.env.CI ?? '').toLowerCase());
  return new Command('cluster')
    .description(
      'a simulated cluster on this box (Linux, root): machines as network namespaces on a private bridge, each CPU-capped by a cgroup; one runs Redis, one the coordinator, the rest `tessera worker`s — wall time, images/s and speed-up over one machine, every output checked; writes cluster.json, cluster.md and cluster.html',
    )
    .option('-i, --input <dir>', 'images to repeat (default: the synthetic Kodak-shaped set, generated on first use)')
    .option('--images <n>', 'files in the input: the set repeated (hard links)', positiveInt('--images'), 96)
    .addOption(new Option('--filters <list>', 'filters to measure (the first is used for --faults)').argParser(commaList).default(['gaussian-blur', 'grayscale'], 'gaussian-blur,grayscale'))
    .option('--sigma <n>', 'gaussian-blur sigma', '2')
    .addOption(new Option('--workers <list>', 'worker-machine counts, each measured against one machine').argParser(commaList).default(['1', '2', '4'], '1,2,4'))
    .option('--repeat <n>', `timed runs per setup; the median is reported (default 3, under CI 1)`, positiveInt('--repeat'))
    .option('--cpu <n>', 'CPUs each machine may use (cgroup cpu.cfs_quota_us ÷ cpu.cfs_period_us)', '0.4')
    .option('--concurrency <n>', 'tessera worker --concurrency on each worker machine', positiveInt('--concurrency'), 1)
    .addOption(new Option('--worker-strategy <name>', 'tessera worker --strategy').choices(['copy', 'shared']))
    .option('--split-above <mpx>', 'tessera run --split-above on the coordinator: images over this many megapixels go as band jobs (with --input of a few big images)')
    .option('--faults [list]', 'also inject faults, each on a coordinator and 2 workers: worker-kill, link-cut, redis-restart, coordinator-kill (no list: all)')
    .option('--cut-seconds <n>', 'link-cut: how long the worker\'s link stays down (tessera\'s job lock is 2 s)', '5')
    .option('--fault-at <fraction>', 'a fault is injected "mid-run": once this fraction of the outputs exist', '0.25')
    .option('--run-timeout <s>', 'hang guard: a `tessera run` still running after this is killed', positiveInt('--run-timeout'), 600)
    .option('-o, --out <dir>', 'where cluster.json, cluster.md and cluster.html go', 'bench-results')
    .addHelpText(
      'after',
      `
Examples:
  $ sudo npx tessera bench cluster                                   96 images, 1, 2 and 4 workers at 0.4 CPU per machine
  $ sudo npx tessera bench cluster --filters gaussian-blur --faults   and the four faults
  $ sudo npx tessera bench cluster --workers 1,2 --images 6 --filters gaussian-blur --repeat 1 --cpu 0.5 --faults worker-kill

Names everything tessera-: namespaces tessera-sw (the bridge) and tessera-m<i> (198.18.0.<i>),
cgroups under /sys/fs/cgroup/cpu/tessera-bench; all removed at the end, on an error and on
Ctrl-C, and what a crashed run left is removed at the start. The root namespace's network is
never touched.`,
    )
    .action(async (flags: ClusterFlags) => {
      const [{ runClusterBench, FAULTS }, { writeClusterReport }, { renderClusterMarkdown }] = await Promise.all([
        import('../cluster/run-cluster.js'),
        import('../cluster/write.js'),
        import('../cluster/markdown.js'),
      ]);
      const workers = [...new Set(flags.workers.map((w) => positiveInt('--workers')(w)))].sort((a, b) => a - b);
      const sigma = Number(flags.sigma);
      if (!(sigma >= 0.1 && sigma <= 20)) throw new TesseraError(ErrorCode.Usage, `--sigma expects a number between 0.1 and 20, got "${flags.sigma}"`);
      const cpu = Number(flags.cpu);
      if (!(cpu >= 0.01 && cpu <= availableParallelism())) throw new TesseraError(ErrorCode.Usage, `--cpu expects a number of CPUs between 0.01 and ${availableParallelism()}, got "${flags.cpu}"`);
      const cut = Number(flags.cutSeconds);
      if (!(cut > 0 && cut <= 120)) throw new TesseraError(ErrorCode.Usage, `--cut-seconds expects seconds between 0 and 120, got "${flags.cutSeconds}"`);
      const splitAbove = flags.splitAbove === undefined ? undefined : Number(flags.splitAbove);
      if (splitAbove !== undefined && !(splitAbove >= 0)) throw new TesseraError(ErrorCode.Usage, `--split-above expects megapixels (a number ≥ 0), got "${flags.splitAbove}"`);
      const faultAt = Number(flags.faultAt);
      if (!(faultAt > 0 && faultAt < 1)) throw new TesseraError(ErrorCode.Usage, `--fault-at expects a fraction between 0 and 1, got "${flags.faultAt}"`);
      const faults = flags.faults === undefined || flags.faults === false ? [] : flags.faults === true ? [...FAULTS] : commaList(flags.faults);
      for (const f of faults) {
        if (!(FAULTS as readonly string[]).includes(f)) throw new TesseraError(ErrorCode.Usage, `unknown fault "${f}"; valid: ${FAULTS.join(', ')}`);
      }
      if (!flags.filters.length) throw new TesseraError(ErrorCode.Usage, '--filters needs at least one filter');
      if (!workers.length) throw new TesseraError(ErrorCode.Usage, '--workers needs at least one worker count');
      const t0 = performance.now();
      const report = await runClusterBench({
        input: flags.input,
        images: flags.images,
        filters: flags.filters,
        sigma,
        workers,
        repeat: flags.repeat ?? (inCi ? 1 : 3),
        cpuCap: cpu,
        concurrency: flags.concurrency,
        workerStrategy: flags.workerStrategy,
        splitAboveMpx: splitAbove,
        faults: [...new Set(faults)] as typeof FAULTS[number][],
        cutMs: cut * 1000,
        faultAt,
        runTimeoutMs: flags.runTimeout * 1000,
        log: (line) => process.stderr.write(line + '\n'),
      });
      const files = await writeClusterReport(report, flags.out);
      process.stdout.write(renderClusterMarkdown(report));
      const bad = report.rows.some((r) => !r.verified) || report.faults.some((f) => !f.verified);
      const left = report.teardown ? report.teardown.namespaces.length + report.teardown.links.length + report.teardown.cgroups.length + report.teardown.errors.length : 0;
      process.stderr.write(`\ncluster bench finished in ${((performance.now() - t0) / 1000).toFixed(0)} s; wrote ${files.json}, ${files.markdown} and ${files.html}\n`);
      if (bad) process.stderr.write('some outputs were NOT verified (see the tables): exit 1\n');
      if (left) process.stderr.write('teardown left something behind (see cluster.md): exit 1\n');
      if (bad || left) process.exitCode = 1;
    });
}

/** `tessera bench`. */
export function benchCommand(): Command {
  return new Command('bench')
    .enablePositionalOptions()
    .addCommand(startupCommand())
    .addCommand(clusterCommand())
    .description('measure the strategy ladder and the peers on the same images; writes bench.json, bench.md and report.html')
    .option('-i, --input <dir>', 'images to use (default: the synthetic Kodak-shaped set, generated on first use)')
    .addOption(new Option('--filters <list>', 'filters to measure').argParser(commaList).default(['grayscale', 'gaussian-blur'], 'grayscale,gaussian-blur'))
    .option('--strategies <list>', `tessera rungs: ${BENCH_STRATEGIES.join(',')} (default: all; disk for grayscale only)`, commaList)
    .addOption(new Option('--workers <list>', 'thread counts').argParser(commaList).default([...new Set(['1', String(availableParallelism())])], `1,${availableParallelism()} (1 and the CPU count)`))
    .option('--repeat <n>', 'timed runs per cell (default 5, --quick 2)', positiveInt('--repeat'))
    .option('--warmup <n>', 'untimed runs before them (default 1)')
    .option('--process-repeat <n>', `timed pairs per whole-process cell — \`tessera run\` and a sharp script as child processes, in turn, on the data set and on one image (default 5, --quick 2) — and at the big case's largest size (default ${DEFAULT_BIG_PAIRS}, --quick 1); 0 for none`, nonNegativeInt('--process-repeat'))
    .option('--no-big', 'skip the big case: one large generated image blurred by `tessera run` and by a sharp script as whole processes — wall, CPU, peak RSS — at each of --big-sizes (run when --filters has gaussian-blur)')
    .option('--big-sizes <list>', `sides in pixels of the big case's square images, the largest the headline, each up to ${BIG_MAX_SIDE} (default ${DEFAULT_BIG_SIDES.join(',')}, --quick ${QUICK_BIG_SIDES.join(',')})`, bigSides)
    .addOption(new Option('--peers <list>', 'peers to measure beside tessera, or none').argParser(commaList).default([...PEER_NAMES], PEER_NAMES.join(',')))
    .option('--sigma <n>', 'gaussian-blur sigma for tessera and the peers', '2')
    .option('--images <n>', 'use only the first N images', positiveInt('--images'))
    .option('--quick', `a fast look: 2 timed runs per cell (2 pairs per whole-process cell), 6 images, the big case at ${QUICK_BIG_SIDES.join(',')} with 1 pair`)
    .addOption(new Option('--backends <list>', 'local and/or queue: queue adds copy cells run by tessera workers through Redis, labelled queue×K').argParser(commaList).default(['local'], 'local'))
    .option('--queue-workers <n>', 'tessera worker processes started for --backends queue', positiveInt('--queue-workers'), 2)
    .option('--redis <url>', 'Redis for --backends queue (default: a private redis-server on a free port)')
    .option('-o, --out <dir>', 'where bench.json and bench.md go', 'bench-results')
    .addHelpText(
      'after',
      `
Examples:
  $ tessera bench                                   the full default matrix and the big case (8–12 minutes on 2 cores)
  $ tessera bench --filters gaussian-blur --strategies shared --peers none --process-repeat 1 --big-sizes 2000,8000   mostly the big case
  $ tessera bench --quick --peers none              the ladder only, fast
  $ tessera bench --filters grayscale --strategies shared --workers 2 --peers none --repeat 1   mostly the whole-process cells
  $ tessera bench --filters grayscale --strategies copy,shared --workers 1,2,4 --input kodak/
  $ tessera bench --peers none --strategies copy --backends local,queue --queue-workers 2   what distribution costs
  $ tessera bench --peers extism,sharp --strategies copy,shared --process-repeat 0   tessera's filters as an Extism plugin beside tessera`,
    )
    .action(async (flags: BenchFlags) => {
      const workers = flags.workers.map((w) => positiveInt('--workers')(w));
      const warmup = flags.warmup === undefined ? undefined : Number(flags.warmup);
      if (warmup !== undefined && !(Number.isInteger(warmup) && warmup >= 0)) {
        throw new TesseraError(ErrorCode.Usage, `--warmup expects an integer >= 0, got "${flags.warmup}"`);
      }
      const sigma = Number(flags.sigma);
      if (!(sigma >= 0.1 && sigma <= 20)) throw new TesseraError(ErrorCode.Usage, `--sigma expects a number between 0.1 and 20, got "${flags.sigma}"`);
      const peers = flags.peers.length === 1 && flags.peers[0] === 'none' ? [] : flags.peers;
      for (const s of flags.strategies ?? []) {
        if (!(BENCH_STRATEGIES as readonly string[]).includes(s)) throw new TesseraError(ErrorCode.Usage, `unknown strategy "${s}"; valid: ${BENCH_STRATEGIES.join(', ')}`);
      }
      for (const p of peers) {
        if (!(PEER_NAMES as readonly string[]).includes(p)) throw new TesseraError(ErrorCode.Usage, `unknown peer "${p}"; valid: ${PEER_NAMES.join(', ')}, none`);
      }
      for (const b of flags.backends) {
        if (b !== 'local' && b !== 'queue') throw new TesseraError(ErrorCode.Usage, `unknown backend "${b}"; valid: local, queue`);
      }
      const tty = process.stderr.isTTY;
      const bar = tty ? new cliProgress.SingleBar({ format: '{bar} {value}/{total} cells | {label}', stream: process.stderr, clearOnComplete: true }, cliProgress.Presets.shades_classic) : undefined;
      let started = false;
      const options: BenchOptions = {
        input: flags.input,
        filters: flags.filters,
        strategies: flags.strategies as BenchStrategy[] | undefined,
        workers,
        repeat: flags.repeat ?? (flags.quick ? 2 : 5),
        warmup,
        processRepeat: flags.processRepeat ?? (flags.quick ? 2 : 5),
        peers: peers as PeerName[],
        sigma,
        images: flags.images ?? (flags.quick ? 6 : undefined),
        backends: flags.backends as Array<'local' | 'queue'>,
        queueWorkers: flags.queueWorkers,
        redis: flags.redis,
        big:
          flags.big && flags.processRepeat !== 0
            ? { sides: flags.bigSizes ?? (flags.quick ? QUICK_BIG_SIDES : DEFAULT_BIG_SIDES), pairs: flags.processRepeat ?? (flags.quick ? 1 : DEFAULT_BIG_PAIRS) }
            : false,
        onCell: ({ label, index, total, result, process: cell, big, skipped }) => {
          if (bar && !started) {
            bar.start(total, 0, { label });
            started = true;
          }
          bar?.update(index, { label });
          const line = result ? cellLine(result) : cell ? processLine(cell) : big ? bigLine(big) : skipped ? `${label}: skipped — ${skipped}` : undefined;
          if (line && (!bar || !(result || cell || big))) process.stderr.write(line + '\n');
        },
      };
      const t0 = performance.now();
      let report;
      try {
        report = await runBench(options);
      } finally {
        bar?.stop();
      }
      const files = writeBenchReport(report, flags.out);
      const startupFile = join(resolve(flags.out), 'startup.json');
      const startup = existsSync(startupFile) ? (JSON.parse(readFileSync(startupFile, 'utf8')) as StartupReport) : undefined;
      const html = await writeHtmlReport(report, join(resolve(flags.out), 'report.html'), startup);
      process.stdout.write(renderMarkdown(report));
      process.stderr.write(`\nbench finished in ${((performance.now() - t0) / 1000).toFixed(0)} s; wrote ${files.json}, ${files.markdown} and ${html}\n`);
    });
}
