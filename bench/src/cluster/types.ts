/** The shape of cluster.json, written by `tessera bench cluster`. */
import type { MachineInfo } from '../machine.js';
import type { LabDescription } from './lab.js';

/** One timed `tessera run` process. */
export interface ClusterRun {
  /** Spawn to exit of the `tessera run` process (through `sh` and `ip netns exec`, ~ms), ms. */
  wallMs: number;
  /** The run's own `elapsedMs` from `--json`, when it printed one. */
  elapsedMs?: number;
  exitCode: number | null;
  signal?: string | null;
  verified: boolean;
  /** The first problems the pixel check found. */
  problems?: string[];
  /** `skipped` from `--json`, when the run reports it. */
  skipped?: number;
  /** The end of stderr when the run failed. */
  error?: string;
}

/** A setup measured `repeat` times: the one-machine baseline or a coordinator with K workers. */
export interface ClusterRow {
  filter: string;
  /** 'local': one capped machine running `tessera run --workers 1`; 'queue': a coordinator and `workers` worker machines. */
  kind: 'local' | 'queue';
  /** Worker machines (1 for the local baseline, its only machine). */
  workers: number;
  /** "one machine", "coordinator + 2 workers". */
  setup: string;
  runs: ClusterRun[];
  /** Median, min and max of the runs' wall time, ms (successful runs only; NaN when none). */
  wall: { median: number; min: number; max: number };
  imagesPerS: number;
  /** The baseline's median wall ÷ this row's: the speed-up over one machine. */
  speedup: number;
  verified: boolean;
  /** What each worker said it did when stopped ("stopped after N tiles"), in machine order; undefined when it did not say. */
  workerWork?: Array<{
    machine: string;
    count?: number;
    unit?: string;
    /** How it ended: by itself after SIGTERM (a graceful stop), or SIGKILLed after 10 s; how long the stop of all of them took, ms. */
    stopped: 'SIGTERM' | 'SIGKILL';
    stopMs: number;
    /** The end of its output when it had to be killed. */
    tail?: string;
  }>;
  /** `tessera:*` keys in Redis after the setup's last run (queue rows). */
  keysLeft?: number;
  /** The first few of them with their TTL in seconds (-1: none). */
  keysSample?: Array<{ key: string; ttl: number }>;
}

export type FaultName = 'worker-kill' | 'link-cut' | 'redis-restart' | 'coordinator-kill';

/** One fault injected into a run of a coordinator and 2 workers. */
export interface FaultResult {
  fault: FaultName;
  /** What was done, in words. */
  what: string;
  filter: string;
  workers: number;
  /** False when the run finished before the fault could be injected. */
  injected: boolean;
  /** ms after the run's start, and how many outputs were there then. */
  injectedAtMs?: number;
  outputsAtInjection?: number;
  /** Wall time of the faulted run (for coordinator-kill: the killed run up to its exit plus the second run), ms. */
  wallMs: number;
  /** The no-fault median of the same setup, ms. */
  noFaultMs: number;
  /** wallMs − noFaultMs. */
  lostMs: number;
  exitCode: number | null;
  verified: boolean;
  problems?: string[];
  /** `tessera:*` keys left in Redis after the fault's run, once the bounded wait was over. */
  keysLeft: number;
  /** The first few of them with their TTL in seconds (-1: none). */
  keysSample?: Array<{ key: string; ttl: number }>;
  /** How long after the run the last key was gone, ms (undefined when some were left). */
  keysGoneAfterMs?: number;
  /** Files in the output directory that are not outputs (temporary files of a killed run). */
  strayOutputs: string[];
  /** Entries left in the machines' TMPDIR after the fault. */
  strayTemp: string[];
  /** Details of the fault: the link's cut duration, Redis' down time, the worker's pid. */
  detail: string;
  /** coordinator-kill: the second run of the same command. */
  rerun?: {
    wallMs: number;
    exitCode: number | null;
    /** Outputs already present when it started. */
    presentBefore: number;
    /** `skipped` from its `--json` (images whose finished output it kept), or null when it does not report one. */
    skipped: number | null;
    /** Images the second run filtered again: images − skipped, or all of them when it reports no `skipped`. */
    redone: number;
    /** Of those, outputs the first run had finished and the second redid anyway. */
    wasted: number;
  };
  error?: string;
}

/** The cap check: a busy process with several threads on one capped machine. */
export interface CapCheck {
  threads: number;
  wallMs: number;
  cpuMs: number;
  /** cpuMs ÷ wallMs: the CPUs it got; should be at most the cap. */
  cpus: number;
  /** Threads of a `tessera run` process on its machine, and how many of them were outside the machine's cgroup (0: the cap holds for all). */
  runThreads?: number;
  runThreadsOutside?: number;
}

/** What a cluster bench was asked to measure, as the report repeats it. */
export interface ClusterSettings {
  filters: string[];
  /** Worker-machine counts to measure. */
  workers: number[];
  repeat: number;
  /** CPUs per machine. */
  cpuCap: number;
  /** `tessera worker --concurrency`. */
  concurrency: number;
  /** `tessera worker --strategy`, when given. */
  workerStrategy?: string;
  /** `tessera run --split-above` of the coordinator, in megapixels, when given. */
  splitAboveMpx?: number;
  faults: FaultName[];
  /** How long a cut link stays down, ms. */
  cutMs: number;
  /** "Mid-run": the fault is injected once this fraction of the outputs exist. */
  faultAt: number;
  /** Hang guard of every `tessera run`, ms. */
  runTimeoutMs: number;
}

export interface ClusterReport {
  kind: 'tessera-bench-cluster';
  version: string;
  date: string;
  machine: MachineInfo;
  settings: ClusterSettings & {
    input: string;
    images: number;
    /** Distinct images in the input the set repeats. */
    distinct: number;
    megapixels: number;
    params: Record<string, string[]>;
  };
  lab: LabDescription;
  capCheck?: CapCheck;
  rows: ClusterRow[];
  faults: FaultResult[];
  /** After teardown: what was left (should be empty), from `ip netns list`, `ip link` and the cgroup tree. */
  teardown?: { namespaces: string[]; links: string[]; cgroups: string[]; errors: string[] };
  notes: string[];
}
