/**
 * `tessera bench cluster`: a simulated cluster on one box, measured through the CLI only.
 *
 * Machines are network namespaces with a CPU cap (lab.ts). tessera-m1 runs redis-server,
 * tessera-m2 the coordinator (`tessera run --backend queue`) — and, alone, the one-machine
 * baseline (`tessera run --workers 1`) — and tessera-m10, m11, … `tessera worker`s. Every
 * process is `node <repo>/dist/src/cli/main.js …` as a user would start it, so the harness
 * keeps working whatever a queue job is inside.
 *
 * Per filter: the baseline `repeat` times (its first run's outputs are the reference every
 * other run is compared with, pixel by pixel), then for each K a coordinator with K fresh
 * workers `repeat` times. With faults, each fault on a coordinator and 2 workers: a worker
 * SIGKILLed, a worker's link cut past the lock time, Redis SIGKILLed and restarted empty, the
 * coordinator SIGKILLed and its command run again — each output checked, the keys left in
 * Redis counted, the time lost against the no-fault median reported.
 *
 * Every wait is bounded; everything started is killed and every namespace and cgroup removed
 * at the end, on an error and on SIGINT/SIGTERM.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { ErrorCode, TesseraError } from 'tessera/internal/errors';
import { defaultBenchDataset } from '../dataset.js';
import { machineInfo } from '../machine.js';
import { median } from '../stats.js';
import { TESSERA_CLI, TESSERA_VERSION } from '../tessera-install.js';
import { checkClusterHost, releaseLock, removeLeftovers, takeLock, tesseraCgroups, tesseraNamespaces, tesseraRootLinks, WORKDIR_PREFIX, type HostTools } from './host.js';
import { countOutputs, decodeOutputs, prepareInputs, strayFiles, verifyOutputs, type Pixels } from './images.js';
import { Lab, type Machine, type MachineProcess } from './lab.js';
import type { CapCheck, ClusterReport, ClusterRow, ClusterSettings, ClusterRun, FaultName, FaultResult } from './types.js';

export const FAULTS: readonly FaultName[] = ['worker-kill', 'link-cut', 'redis-restart', 'coordinator-kill'];
export const DEFAULT_CLUSTER_WORKERS = [1, 2, 4];
export const DEFAULT_CLUSTER_FILTERS = ['gaussian-blur', 'grayscale'];
export const DEFAULT_CPU_CAP = 0.4;
export const DEFAULT_CUT_MS = 5_000;
const REDIS_PORT = 6379;
const REDIS_INDEX = 1;
const COORDINATOR_INDEX = 2;
const FIRST_WORKER_INDEX = 10;
/** Fault runs use a coordinator and this many workers. */
const FAULT_WORKERS = 2;

export interface ClusterOptions extends ClusterSettings {
  /** Images to repeat; default the synthetic Kodak-shaped set. */
  input?: string;
  /** Files in the input directory (the set repeated). */
  images: number;
  sigma: number;
  /** A progress line (stderr). */
  log: (line: string) => void;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The filter's params on the command line: σ for gaussian-blur, the defaults otherwise. */
const paramArgs = (filter: string, sigma: number): string[] => (filter === 'gaussian-blur' ? ['--param', `sigma=${sigma}`] : []);

const setupLabel = (kind: 'local' | 'queue', k: number) => (kind === 'local' ? 'one machine' : `coordinator + ${k} worker${k > 1 ? 's' : ''}`);

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** The parts of `tessera run --json` the bench reads; the rest may change. */
interface RunJson {
  elapsedMs?: number;
  succeeded?: number;
  failed?: number;
  images?: number;
  skipped?: number;
}

function parseJson(stdout: string): RunJson | undefined {
  const start = stdout.indexOf('{');
  if (start < 0) return undefined;
  try {
    return JSON.parse(stdout.slice(start)) as RunJson;
  } catch {
    return undefined;
  }
}

/** Everything one bench session holds, torn down in one place. */
class ClusterSession {
  lab?: Lab;
  workdir?: string;
  private closed = false;
  private readonly onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`\ntessera bench cluster: ${signal}, tearing the cluster down…\n`);
    const lab = this.lab;
    const errors = this.close();
    for (const e of errors) process.stderr.write(`  ${e}\n`);
    // Everything is killed and removed; let the event loop reap the children (bounded) before exiting.
    void (lab?.settled(1_500) ?? Promise.resolve()).then(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  private readonly onExit = () => {
    this.close();
  };

  constructor(readonly tools: HostTools) {
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
    process.on('exit', this.onExit);
  }

  /** Kills, deletes, removes; synchronous and idempotent. Returns what could not be removed. */
  close(): string[] {
    if (this.closed) return [];
    this.closed = true;
    const errors = this.lab?.teardown() ?? [];
    if (this.workdir) rmSync(this.workdir, { recursive: true, force: true });
    releaseLock();
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
    process.off('exit', this.onExit);
    return errors;
  }
}

/** Runs the cluster bench; the lab is gone when this returns or throws. */
export async function runClusterBench(o: ClusterOptions): Promise<ClusterReport> {
  const tools = checkClusterHost();
  const stale = takeLock();
  const session = new ClusterSession(tools);
  try {
    const left = removeLeftovers(tools.ip);
    if (left.removed.length) o.log(`removed what an earlier run left${stale ? ' (its lock was stale)' : ''}: ${left.removed.join(', ')}`);
    if (left.errors.length) throw new Error(`cannot remove what an earlier run left: ${left.errors.join('; ')}`);
    const report = await measure(o, tools, session);
    const errors = session.close();
    report.teardown = { namespaces: tesseraNamespaces(tools.ip), links: tesseraRootLinks(tools.ip), cgroups: tesseraCgroups(), errors };
    const leftover = [...report.teardown.namespaces, ...report.teardown.links, ...report.teardown.cgroups];
    o.log(leftover.length || errors.length ? `teardown left: ${[...leftover, ...errors].join(', ')}` : 'teardown: no tessera- namespace, link or cgroup left');
    return report;
  } finally {
    session.close();
  }
}

async function measure(o: ClusterOptions, tools: HostTools, session: ClusterSession): Promise<ClusterReport> {
  const workdir = (session.workdir = mkdtempSync(join(tmpdir(), WORKDIR_PREFIX)));
  const inDir = join(workdir, 'in');
  const tmp = join(workdir, 'tmp');
  mkdirSync(inDir);
  mkdirSync(tmp, { mode: 0o1777 });
  const source = o.input ?? (await defaultBenchDataset());
  const inputs = prepareInputs(source, o.images, inDir);
  const names = inputs.names;
  const nameSet = new Set(names);
  let megapixels = 0;
  for (const n of names) {
    const meta = await sharp(join(inDir, n)).metadata();
    megapixels += ((meta.width ?? 0) * (meta.height ?? 0)) / 1e6;
  }

  const faultsOn = o.faults.length > 0;
  const maxWorkers = Math.max(...o.workers, faultsOn ? FAULT_WORKERS : 0);
  const workerIndexes = Array.from({ length: maxWorkers }, (_, i) => FIRST_WORKER_INDEX + i);
  if (FIRST_WORKER_INDEX + maxWorkers - 1 > 254) throw new TesseraError(ErrorCode.Usage, `at most ${255 - FIRST_WORKER_INDEX} worker machines`);
  o.log(`building the lab: switch tessera-sw, Redis on tessera-m${REDIS_INDEX}, coordinator on tessera-m${COORDINATOR_INDEX}, ${maxWorkers} worker machine${maxWorkers > 1 ? 's' : ''} (tessera-m${FIRST_WORKER_INDEX}…), ${o.cpuCap} CPU each`);
  const lab = (session.lab = Lab.create({
    machines: [
      { index: REDIS_INDEX, role: 'redis' },
      { index: COORDINATOR_INDEX, role: 'coordinator' },
      ...workerIndexes.map((index) => ({ index, role: 'worker' as const })),
    ],
    cpuCap: o.cpuCap,
    ip: tools.ip,
    setpriv: tools.setpriv,
    nsenter: tools.nsenter,
    env: { ...process.env, TMPDIR: tmp },
  }));
  const redisMachine = lab.machine(REDIS_INDEX);
  const coordinator = lab.machine(COORDINATOR_INDEX);
  const workerMachines = workerIndexes.map((i) => lab.machine(i));
  const redisUrl = `redis://${redisMachine.address}:${REDIS_PORT}`;
  const notes: string[] = [];
  const cores = availableParallelism();

  // --- Redis ---------------------------------------------------------------------------
  let redis: MachineProcess | undefined;
  const startRedis = async () => {
    const p = lab.spawn(redisMachine, 'redis-server', tools.redisServer, [
      '--bind', redisMachine.address, '--port', String(REDIS_PORT), '--save', '', '--appendonly', 'no', '--protected-mode', 'no', '--dir', tmp,
    ]);
    await p.waitFor(/Ready to accept connections/i, 15_000);
    redis = p;
  };
  const redisCli = (m: Machine, args: string[]) => lab.exec(m, tools.redisCli, ['-h', redisMachine.address, '-p', String(REDIS_PORT), ...args], 10_000);
  const tesseraKeys = async (): Promise<string[]> => {
    const r = await redisCli(redisMachine, ['--scan', '--pattern', 'tessera:*']);
    if (r.code !== 0) throw new Error(`redis-cli --scan failed (${r.code}): ${r.stderr.trim()}`);
    return r.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  };
  /** Polls (bounded by `boundMs`) until no tessera key is left. */
  /** The TTL (s; -1 none) of each of the first few keys. */
  const ttls = async (keys: string[]) => {
    const out: Array<{ key: string; ttl: number }> = [];
    for (const key of keys.slice(0, 5)) {
      const r = await redisCli(redisMachine, ['TTL', key]);
      out.push({ key, ttl: Number(r.stdout.trim()) });
    }
    return out;
  };
  const waitNoKeys = async (boundMs: number): Promise<{ left: string[]; goneAfterMs?: number }> => {
    const t0 = performance.now();
    let keys = await tesseraKeys();
    while (keys.length && performance.now() - t0 < boundMs) {
      await sleep(250);
      keys = await tesseraKeys();
    }
    return keys.length ? { left: keys } : { left: [], goneAfterMs: performance.now() - t0 };
  };
  /** Starts the next measurement from an empty Redis even if the last one left keys (they are reported where they were left). */
  const flushIfKeys = async (where: string) => {
    const keys = await tesseraKeys();
    if (keys.length) {
      o.log(`  ${keys.length} tessera key${keys.length > 1 ? 's' : ''} left after ${where} (e.g. ${keys.slice(0, 3).join(', ')}); FLUSHALL before going on`);
      await redisCli(redisMachine, ['FLUSHALL']);
    }
  };
  await startRedis();
  const ping = await redisCli(coordinator, ['ping']);
  if (!/PONG/.test(ping.stdout)) throw new Error(`the coordinator's machine cannot reach Redis at ${redisUrl} over the bridge: ${ping.stdout.trim()} ${ping.stderr.trim()}`);
  o.log(`Redis serving at ${redisUrl}; reached from tessera-m${COORDINATOR_INDEX} across the bridge`);

  // --- The cap check -----------------------------------------------------------------------
  const capCheck = await checkCap(lab, coordinator);
  o.log(`cap check: 3 busy threads on one machine got ${capCheck.cpus.toFixed(2)} CPU (cap ${o.cpuCap})`);

  // --- Runs --------------------------------------------------------------------------------
  let outSerial = 0;
  const newOutDir = () => {
    const d = join(workdir, `out-${++outSerial}`);
    return d;
  };
  const runArgs = (filter: string, outDir: string, kind: 'local' | 'queue') => [
    TESSERA_CLI, 'run', '--filter', filter, ...paramArgs(filter, o.sigma), '--input', inDir, '--output', outDir, '--json', '--no-progress',
    ...(kind === 'local' ? ['--workers', '1'] : ['--backend', 'queue', '--redis', redisUrl, ...(o.splitAboveMpx === undefined ? [] : ['--split-above', String(o.splitAboveMpx)])]),
  ];
  const startRun = (filter: string, outDir: string, kind: 'local' | 'queue') => lab.spawn(coordinator, 'tessera run', process.execPath, runArgs(filter, outDir, kind));

  /** Waits for the run's exit (bounded); the record of it, not yet verified. */
  const finishRun = async (p: MachineProcess): Promise<ClusterRun> => {
    const exitedInTime = await p.waitExit(o.runTimeoutMs);
    const json = parseJson(p.stdout.text);
    const run: ClusterRun = { wallMs: p.wallMs, elapsedMs: json?.elapsedMs, exitCode: p.code, signal: p.signal, verified: false };
    if (typeof json?.skipped === 'number') run.skipped = json.skipped;
    if (!exitedInTime) run.error = `still running after ${(o.runTimeoutMs / 1000).toFixed(0)} s: killed. ${p.tail()}`;
    else if (p.code !== 0) run.error = p.tail();
    return run;
  };

  const verify = async (run: ClusterRun, outDir: string, expected: Map<string, Pixels | Error>) => {
    const v = await verifyOutputs(outDir, names, expected);
    run.verified = v.verified && run.exitCode === 0;
    if (!v.verified) run.problems = v.problems;
    return v;
  };

  /**
   * Waits until `threshold` outputs exist in `outDir` (polled every 50 ms), the run exits, or
   * `boundMs` passes. Returns when and with how many outputs, or undefined if the run ended first.
   */
  const waitMidRun = async (p: MachineProcess, outDir: string, boundMs: number) => {
    const threshold = Math.max(1, Math.min(names.length - 1, Math.ceil(names.length * o.faultAt)));
    const t0 = performance.now();
    while (p.alive && performance.now() - t0 < boundMs) {
      const n = countOutputs(outDir, nameSet);
      if (n >= threshold) return { atMs: p.wallMs, outputs: n };
      await sleep(50);
    }
    return p.alive ? { atMs: p.wallMs, outputs: countOutputs(outDir, nameSet) } : undefined;
  };

  const workerArgs = [TESSERA_CLI, 'worker', '--redis', redisUrl, '--concurrency', String(o.concurrency), '--log-interval', '600000', ...(o.workerStrategy ? ['--strategy', o.workerStrategy] : [])];
  const startWorkers = async (k: number): Promise<MachineProcess[]> => {
    const procs = workerMachines.slice(0, k).map((m) => lab.spawn(m, 'tessera worker', process.execPath, workerArgs));
    const started = await Promise.allSettled(procs.map((p) => p.waitFor(/serving/, 30_000)));
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) {
      await Promise.all(procs.map((p) => p.stop(1_000)));
      throw (failed as PromiseRejectedResult).reason;
    }
    return procs;
  };
  /** SIGTERM (a graceful stop), SIGKILL after 10 s; what each worker said it did. */
  const stopWorkers = async (procs: MachineProcess[]) => {
    const t0 = performance.now();
    const clean = await Promise.all(
      procs.map(async (p) => {
        if (!p.alive) return false;
        p.kill('SIGTERM');
        return p.waitExit(10_000);
      }),
    );
    const stopMs = performance.now() - t0;
    return procs.map((p, i) => {
      const m = /stopped after (\d+) (\w+)/.exec(p.stderr.text);
      return { machine: p.machine.name, count: m ? Number(m[1]) : undefined, unit: m?.[2], stopped: clean[i] ? 'SIGTERM' : 'SIGKILL', stopMs, tail: clean[i] ? undefined : p.tail(300) } as const;
    });
  };

  const rows: ClusterRow[] = [];
  const baselines = new Map<string, { expected: Map<string, Pixels | Error>; medianMs: number }>();
  const rowOf = (filter: string, kind: 'local' | 'queue', k: number, runs: ClusterRun[]): ClusterRow => {
    const ok = runs.filter((r) => r.exitCode === 0 && !r.error).map((r) => r.wallMs);
    const med = ok.length ? median(ok) : NaN;
    const base = kind === 'local' ? med : baselines.get(filter)?.medianMs ?? NaN;
    return {
      filter, kind, workers: k, setup: setupLabel(kind, k), runs,
      wall: { median: med, min: ok.length ? Math.min(...ok) : NaN, max: ok.length ? Math.max(...ok) : NaN },
      imagesPerS: names.length / (med / 1000),
      speedup: base / med,
      verified: runs.length > 0 && runs.every((r) => r.verified),
    };
  };
  const runLine = (filter: string, label: string, i: number, r: ClusterRun) =>
    `${filter} ${label}, run ${i + 1}/${o.repeat}: ${s(r.wallMs)} (${(names.length / (r.wallMs / 1000)).toFixed(2)} images/s)` +
    (r.verified ? ' ✓ outputs equal the baseline' : ` — NOT VERIFIED${r.error ? `: ${r.error.slice(-300)}` : ''}${r.problems ? `: ${r.problems.join('; ')}` : ''}`);

  let threadCheck: { threads: number; outside: number[] } | undefined;
  const measureQueue = async (filter: string, k: number, repeat: number) => {
    const expected = baselines.get(filter)!.expected;
    const procs = await startWorkers(k);
    const runs: ClusterRun[] = [];
    let work: ClusterRow['workerWork'];
    try {
      for (let i = 0; i < repeat; i++) {
        const outDir = newOutDir();
        const run = await finishRun(startRun(filter, outDir, 'queue'));
        await verify(run, outDir, expected);
        rmSync(outDir, { recursive: true, force: true });
        runs.push(run);
        o.log(runLine(filter, setupLabel('queue', k), i, run));
      }
    } finally {
      work = await stopWorkers(procs);
    }
    const row = rowOf(filter, 'queue', k, runs);
    row.workerWork = work;
    const keys = await waitNoKeys(15_000);
    row.keysLeft = keys.left.length;
    if (keys.left.length) row.keysSample = await ttls(keys.left);
    await flushIfKeys(`${filter} ${row.setup}`);
    rows.push(row);
    return row;
  };

  for (const filter of o.filters) {
    // The baseline: one capped machine, `tessera run --workers 1`, no Redis.
    const runs: ClusterRun[] = [];
    let expected: Map<string, Pixels | Error> | undefined;
    for (let i = 0; i < o.repeat; i++) {
      const outDir = newOutDir();
      const p = startRun(filter, outDir, 'local');
      if (!threadCheck) {
        void sleep(800).then(() => {
          if (p.alive && p.pid) threadCheck = lab.threadsOutsideCgroup(coordinator, p.pid);
        });
      }
      const run = await finishRun(p);
      if (!expected) {
        if (run.exitCode !== 0) throw new TesseraError(ErrorCode.Usage, `the one-machine baseline failed (exit ${run.exitCode}), nothing to compare with: ${run.error ?? ''}`);
        expected = await decodeOutputs(outDir, names);
        const bad = [...expected.entries()].filter(([, v]) => v instanceof Error);
        run.verified = bad.length === 0;
        if (bad.length) run.problems = bad.slice(0, 5).map(([n, e]) => `${n}: ${(e as Error).message.split('\n')[0]}`);
      } else {
        await verify(run, outDir, expected);
      }
      rmSync(outDir, { recursive: true, force: true });
      runs.push(run);
      o.log(runLine(filter, 'one machine', i, run).replace(' ✓ outputs equal the baseline', i === 0 && run.verified ? ' ✓ (the reference outputs)' : ' ✓ outputs equal the baseline'));
    }
    const row = rowOf(filter, 'local', 1, runs);
    rows.push(row);
    baselines.set(filter, { expected: expected!, medianMs: row.wall.median });
    for (const k of o.workers) {
      const q = await measureQueue(filter, k, o.repeat);
      o.log(`${filter} ${q.setup}: median ${s(q.wall.median)}, ${q.imagesPerS.toFixed(2)} images/s, ${q.speedup.toFixed(2)}× one machine${q.workerWork?.some((w) => w.count !== undefined) ? ` (workers did ${q.workerWork.map((w) => w.count ?? '?').join(' / ')} ${q.workerWork.find((w) => w.unit)?.unit ?? ''})` : ''}`);
    }
  }
  if (threadCheck) {
    capCheck.runThreads = threadCheck.threads;
    capCheck.runThreadsOutside = threadCheck.outside.length;
  }

  // --- Faults --------------------------------------------------------------------------------
  const faults: FaultResult[] = [];
  if (faultsOn) {
    const filter = o.filters[0];
    const expected = baselines.get(filter)!.expected;
    let ref = rows.find((r) => r.filter === filter && r.kind === 'queue' && r.workers === FAULT_WORKERS);
    if (!ref || !Number.isFinite(ref.wall.median)) {
      o.log(`faults: measuring the no-fault ${setupLabel('queue', FAULT_WORKERS)} first`);
      ref = await measureQueue(filter, FAULT_WORKERS, o.repeat);
    }
    const noFaultMs = ref.wall.median;
    for (const fault of o.faults) {
      const result = await runFault(fault, filter, noFaultMs);
      faults.push(result);
      o.log(
        `fault ${fault}: ${result.injected ? `injected at ${s(result.injectedAtMs!)} with ${result.outputsAtInjection}/${names.length} outputs; ` : 'NOT injected (the run ended first); '}` +
          `${s(result.wallMs)} vs ${s(noFaultMs)} without (${result.lostMs >= 0 ? '+' : ''}${s(result.lostMs)}), exit ${result.exitCode}, ` +
          `${result.verified ? 'outputs equal the baseline' : 'NOT VERIFIED'}${result.problems ? ` (${result.problems.join('; ')})` : ''}, ${result.keysLeft} key${result.keysLeft === 1 ? '' : 's'} left` +
          (result.rerun ? `; the second run redid ${result.rerun.redone} image${result.rerun.redone === 1 ? '' : 's'} (${result.rerun.presentBefore} outputs were there, skipped ${result.rerun.skipped ?? 'not reported'})` : '') +
          (result.error ? ` — ${result.error}` : ''),
      );
      await flushIfKeys(`fault ${fault}`);
    }

    async function runFault(fault: FaultName, filter: string, noFaultMs: number): Promise<FaultResult> {
      const outDir = newOutDir();
      const base: FaultResult = {
        fault, what: '', filter, workers: FAULT_WORKERS, injected: false, wallMs: NaN, noFaultMs, lostMs: NaN, exitCode: null, verified: false,
        keysLeft: 0, strayOutputs: [], strayTemp: [], detail: '',
      };
      const tmpBefore = new Set(readdirSync(tmp));
      let procs: MachineProcess[] = [];
      try {
        procs = await startWorkers(FAULT_WORKERS);
        const victim = procs[0];
        const p = startRun(filter, outDir, 'queue');
        const mid = await waitMidRun(p, outDir, o.runTimeoutMs);
        let run: ClusterRun;
        if (mid) {
          base.injected = true;
          base.injectedAtMs = mid.atMs;
          base.outputsAtInjection = mid.outputs;
        }
        switch (fault) {
          case 'worker-kill': {
            // Restarted at once, as a supervisor would: the time lost is the recovery (its images
            // noticed and run again), not the capacity of a machine gone for the rest of the run.
            base.what = `SIGKILL the worker on ${victim.machine.name} mid-run (restarted at once, as a supervisor would)`;
            if (mid) {
              base.detail = `killed pid ${victim.pid}`;
              victim.kill('SIGKILL');
              await victim.waitExit(5_000);
              procs.push(lab.spawn(victim.machine, 'tessera worker', process.execPath, workerArgs));
            }
            run = await finishRun(p);
            break;
          }
          case 'link-cut': {
            base.what = `cut ${victim.machine.name}'s link at the switch (${victim.machine.switchPort} down) for ${s(o.cutMs)}, then restore it`;
            let restored: Promise<void> = Promise.resolve();
            if (mid) {
              const cutAt = performance.now();
              lab.cutLink(victim.machine);
              restored = sleep(o.cutMs).then(() => {
                lab.restoreLink(victim.machine);
                base.detail = `down ${s(performance.now() - cutAt)}${p.alive ? '' : ' (the run had ended meanwhile)'}`;
              });
            }
            run = await finishRun(p);
            await restored;
            break;
          }
          case 'redis-restart': {
            base.what = 'SIGKILL redis-server mid-run and start it again on the same address (no persistence: it comes back empty)';
            if (mid && redis) {
              const down = performance.now();
              redis.kill('SIGKILL');
              await redis.waitExit(5_000);
              await startRedis();
              base.detail = `Redis down ${s(performance.now() - down)}`;
            }
            run = await finishRun(p);
            break;
          }
          case 'coordinator-kill': {
            base.what = 'SIGKILL the coordinator mid-run and start the same command again on the same input and output';
            if (!mid) {
              run = await finishRun(p);
              break;
            }
            p.kill('SIGKILL');
            const first = await finishRun(p);
            const presentBefore = countOutputs(outDir, nameSet);
            const second = await finishRun(startRun(filter, outDir, 'queue'));
            const skipped = second.skipped ?? null;
            const redone = skipped === null ? names.length : names.length - skipped;
            base.rerun = {
              wallMs: second.wallMs, exitCode: second.exitCode, presentBefore, skipped, redone,
              wasted: Math.max(0, presentBefore - (skipped ?? 0)),
            };
            base.detail = `killed after ${s(first.wallMs)} with ${presentBefore}/${names.length} outputs written; the second run took ${s(second.wallMs)}`;
            run = { ...second, wallMs: first.wallMs + second.wallMs };
            break;
          }
        }
        base.wallMs = run.wallMs;
        base.lostMs = run.wallMs - noFaultMs;
        base.exitCode = run.exitCode;
        const v = await verifyOutputs(outDir, names, expected);
        base.verified = v.verified && run.exitCode === 0;
        if (!v.verified) base.problems = v.problems;
        if (run.error) base.error = run.error.slice(-500);
      } catch (err) {
        base.error = (err as Error).message;
      } finally {
        await stopWorkers(procs);
      }
      // A killed coordinator's keys go when a worker notices its heartbeat is gone (~10 s) or when their 60 s TTL runs out.
      const keys = await waitNoKeys(fault === 'coordinator-kill' ? 75_000 : 20_000);
      base.keysLeft = keys.left.length;
      if (keys.left.length) base.keysSample = await ttls(keys.left);
      base.keysGoneAfterMs = keys.goneAfterMs;
      base.strayOutputs = strayFiles(outDir, nameSet);
      base.strayTemp = readdirSync(tmp).filter((n) => !tmpBefore.has(n));
      rmSync(outDir, { recursive: true, force: true });
      return base;
    }
  }

  // --- Notes ---------------------------------------------------------------------------------
  const capSum = (k: number) => (k + 2) * o.cpuCap;
  const over = [...new Set([...o.workers, ...(faultsOn ? [FAULT_WORKERS] : [])])].filter((k) => capSum(k) > cores);
  if (over.length) {
    notes.push(
      `With ${over.map((k) => `${k} worker${k > 1 ? 's' : ''}`).join(', ')} the machines' caps add up to ${over.map((k) => capSum(k).toFixed(1)).join(', ')} CPU (Redis, coordinator and workers at ${o.cpuCap} each), more than this box's ${cores}: there the box, not the caps, is the limit, and the speed-up understates what separate machines would give (--cpu ${(Math.floor((cores / (Math.max(...over) + 2)) * 100) / 100).toFixed(2)} or less keeps every setup within the box).`,
    );
  }
  notes.push(
    tools.nsenter
      ? `Each machine's processes see its cgroup quota (they enter only its network namespace, with nsenter), so tessera and libvips size their thread pools for ${Math.max(1, Math.ceil(o.cpuCap - 1e-9))} CPU rather than the box's ${cores}; the bench passes --workers 1 and --concurrency ${o.concurrency} explicitly anyway.`
      : `Without util-linux's nsenter, machines run under \`ip netns exec\`, which hides /sys/fs/cgroup: libvips sizes its pool for the box's ${cores} CPUs and shares the machine's ${o.cpuCap} CPU between them.`,
  );
  if (!inputs.linked) notes.push('The input files are copies (hard links were not possible on this file system).');

  return {
    kind: 'tessera-bench-cluster',
    version: TESSERA_VERSION,
    date: new Date().toISOString(),
    machine: machineInfo(),
    settings: {
      filters: o.filters, workers: o.workers, repeat: o.repeat, cpuCap: o.cpuCap, concurrency: o.concurrency, workerStrategy: o.workerStrategy, splitAboveMpx: o.splitAboveMpx,
      faults: o.faults, cutMs: o.cutMs, faultAt: o.faultAt, runTimeoutMs: o.runTimeoutMs,
      input: o.input ?? 'synthetic Kodak-shaped set',
      images: names.length,
      distinct: Math.min(inputs.sourceCount, names.length),
      megapixels,
      params: Object.fromEntries(o.filters.map((f) => [f, paramArgs(f, o.sigma).filter((a) => a !== '--param')])),
    },
    lab: lab.describe(),
    capCheck,
    rows,
    faults,
    notes,
  };
}

/** Three busy threads on one machine for 1.5 s: how many CPUs did they get together? */
async function checkCap(lab: Lab, m: Machine): Promise<CapCheck> {
  const script = `
    const { Worker } = require('node:worker_threads');
    const t0 = Date.now();
    const u0 = process.cpuUsage();
    const spin = 'const e = Date.now() + 1500; while (Date.now() < e) {}';
    const workers = [new Worker(spin, { eval: true }), new Worker(spin, { eval: true })];
    const e = Date.now() + 1500; while (Date.now() < e) {}
    Promise.all(workers.map((w) => new Promise((r) => w.once('exit', r)))).then(() => {
      const u = process.cpuUsage(u0);
      console.log(JSON.stringify({ wallMs: Date.now() - t0, cpuMs: (u.user + u.system) / 1000 }));
    });`;
  const p = lab.spawn(m, 'cap check', process.execPath, ['-e', script]);
  await p.waitExit(30_000);
  const r = JSON.parse(p.stdout.text.trim() || '{"wallMs":0,"cpuMs":0}') as { wallMs: number; cpuMs: number };
  return { threads: 3, wallMs: r.wallMs, cpuMs: r.cpuMs, cpus: r.cpuMs / r.wallMs };
}
