/** What `tessera bench startup` records about containers beside WebAssembly (issue 17): startup.json's `containers`. */
import type { ProcMemory } from './proc-memory.js';

/** The sandboxes held idle: runc containers, bwrap sandboxes, plain Node filter processes, filter instances in one process. */
export type SandboxKind = 'runc' | 'bwrap' | 'process' | 'instance';

/** Memory of N idle sandboxes of one kind, measured from /proc and the cgroup filesystem; every figure per sandbox. */
export interface HoldingCost {
  kind: SandboxKind;
  /** Alive and idle at once while measured (each blocked reading its stdin, or instantiated and unused). */
  sandboxes: number;
  /** Processes per sandbox: the filter process and its supervisors (`runc run`; bwrap's outer and pid-1 processes); 0 for an instance. */
  processes: number;
  /** RSS and PSS of every process involved, summed and divided by `sandboxes`; for `instance`, the host process's growth per instance (PSS: its anonymous part; the file part is Node's code, whose share moves with the machine's other processes). */
  memory: ProcMemory;
  /** The supervisors' part of `memory`. */
  supervisor?: ProcMemory;
  /** What the kernel charges to the container's memory cgroup (`memory.usage_in_bytes`, v1, or `memory.current`, v2), per container. */
  cgroupBytes?: number;
  /** The cgroup file read for the first container, as an example. */
  cgroupFile?: string;
  /** `instance`: the one host process holding them all (its memory before the first instance). */
  host?: ProcMemory;
  /** Sandboxes that fit in 2³⁰ bytes by each measure. */
  perGiB: { rss: number; pss: number; cgroup?: number };
}

/** Sizes of what each way ships. */
export interface ContainerArtifacts {
  /** The root filesystem as built: every file a filter process opens, copied in. */
  rootfs: { bytes: number; files: number; parts: Array<{ role: string; files: number; bytes: number }> };
  /** An OCI image of it, packed as an oci-archive (a tar of the image layout). */
  image: {
    bytes: number;
    /** The one layer, a gzip'd tar of the rootfs, and that tar uncompressed. */
    layerBytes: number;
    layerTarBytes: number;
    /** What the archive holds. */
    contents: string;
  };
  /** The filter as WebAssembly: the module `copy`/`shared` load and the WASI command form the containers run. */
  filter: { name: string; wasmBytes: number; wasmGzipBytes: number; wasiBytes: number; wasiGzipBytes: number };
}

/** One way of running the `pipe` strategy on the bench's image set. */
export interface PipeThroughputRow {
  launcher: 'none' | 'bwrap' | 'runc';
  /** Timed runs over the images (after the cold run). */
  runs: number;
  medianMs: number;
  imagesPerS: number;
  mpxPerS: number;
  /** This row's images/s over plain pipe's (1 = no cost; 0.9 = 10% slower). */
  vsPipe: number;
  /** The first run: the session's start (its processes or containers) included. */
  coldMs: number;
  /** Every output bit-identical to the pooled instance's (a `copy` session's). */
  verified: boolean;
}

/** Steady-state cost of container isolation: `pipe` with one long-lived sandbox per worker beside plain `pipe`. */
export interface PipeThroughput {
  filter: string;
  images: number;
  megapixels: number;
  workers: number;
  rows: PipeThroughputRow[];
}

/** startup.json's `containers`. */
export interface ContainersReport {
  /** The filter every container level runs (the isolation filter). */
  filter: string;
  /** `runc --version` and `bwrap --version`, first lines; absent when not found. */
  runtimes: { runc?: string; bwrap?: string };
  holding: HoldingCost[];
  artifacts?: ContainerArtifacts;
  pipe?: PipeThroughput;
  /** What was not measured, and why (a missing tool, not root). */
  skipped: string[];
  /** After teardown: this run's containers still in `runc list` and its child processes still alive (both should be empty). */
  teardown: { containers: string[]; processes: number[]; staleSwept: string[] };
}
