/**
 * Redis key names and timings of the queue backend, in one place.
 *
 * Everything a run writes lives under `tessera:run:<id>:` — BullMQ's own keys (the run's
 * queue is `images` with that prefix), input and output bytes and the filter's bytes — so a
 * run is removed with one SCAN of its prefix. Outside it only the run registry
 * (`tessera:runs`, a set that Redis deletes when its last member leaves) and the pub/sub
 * channel of the same name exist.
 */
import { randomBytes } from 'node:crypto';

/** Root of every key tessera writes. */
export const KEY_ROOT = 'tessera';

/** Set of the ids of runs in progress; workers poll it, coordinators add and remove themselves. */
export const RUNS_KEY = `${KEY_ROOT}:runs`;

/** Pub/sub channel: `start <id>` and `end <id>`, so workers join and leave runs at once rather than at their next poll. */
export const RUNS_CHANNEL = `${KEY_ROOT}:runs`;

/** BullMQ queue name inside a run's prefix. */
export const QUEUE_NAME = 'images';

/** A fresh run id: 12 hex digits, unique enough for concurrent runs on one Redis. */
export function newRunId(): string {
  return randomBytes(6).toString('hex');
}

/** Keys of one run. */
export class RunKeys {
  /** BullMQ prefix: the run's queue keys are `<prefix>:images:*`. */
  readonly prefix: string;
  /** SCAN pattern matching every key of the run. */
  readonly pattern: string;
  /** Present (with a short TTL, refreshed by the coordinator) while the coordinator is alive. */
  readonly alive: string;

  constructor(readonly runId: string) {
    if (!/^[0-9a-z]{1,64}$/.test(runId)) throw new Error(`invalid run id "${runId}"`);
    this.prefix = `${KEY_ROOT}:run:${runId}`;
    this.pattern = `${this.prefix}:*`;
    this.alive = `${this.prefix}:alive`;
  }

  /** List of finished images (see `doneMessage`): the coordinator pops it to learn what to write. */
  get done(): string {
    return `${this.prefix}:done`;
  }

  /** An image's input bytes (the file, or raw RGBA). */
  input(seq: number): string {
    return `${this.prefix}:in:${seq}`;
  }

  /** An image's output bytes, written by whichever worker finishes it. */
  output(seq: number): string {
    return `${this.prefix}:out:${seq}`;
  }

  /** What every image job of the run shares (filter, params, caps): workers warm their session with it when they join. */
  get settings(): string {
    return `${this.prefix}:settings`;
  }

  /** A filter module's bytes, by content hash. */
  wasm(hash: string): string {
    return `${this.prefix}:wasm:${hash}`;
  }
}

/** The run id inside a run-scoped key, or undefined. */
export function runIdOf(key: string): string | undefined {
  const m = /^tessera:run:([0-9a-z]+):/.exec(key);
  return m?.[1];
}

/**
 * Lifetime of input, output and filter bytes as first written; the coordinator refreshes
 * every key of its run (RUN_KEY_TTL_MS) while it lives. Keys are deleted as soon as used.
 */
export const DATA_TTL_MS = 15 * 60_000;

/** Largest value a run puts in Redis (its limit is 512 MB): a bigger image needs `--shared-dir`. */
export const MAX_VALUE_BYTES = 256 * 2 ** 20;

/**
 * TTL every key of a run gets, refreshed by its coordinator every few seconds: whatever a
 * coordinator killed with SIGKILL leaves (BullMQ's job hashes and lists have no TTL of their
 * own) is gone within this long even when no worker is left to sweep it. The registry gets
 * it too, refreshed by every live coordinator.
 */
export const RUN_KEY_TTL_MS = 60_000;

/** Times an image is resubmitted after its job or bytes were lost from Redis (a restart) before it fails. */
export const MAX_RESUBMITS = 5;

/** The coordinator refreshes its `alive` key this often… */
export const HEARTBEAT_MS = 2_000;
/** …with this TTL: a coordinator silent for longer is taken for dead and its run is swept by a worker. */
export const ALIVE_TTL_MS = 10_000;

/**
 * BullMQ recovery settings (docs/design.md, "Findings"): with the defaults a SIGKILLed worker's
 * job came back after ~60 s; with these after ~3 s. Short locks need a free event loop, so
 * workers run filters on threads only, never on the loop that renews the locks.
 */
export const LOCK_DURATION_MS = 2_000;
export const STALLED_INTERVAL_MS = 1_000;
export const MAX_STALLED_COUNT = 2;

/** Attempts per image job (a worker lost mid-image, a transient error) and the first retry delay. */
export const JOB_ATTEMPTS = 3;
export const RETRY_DELAY_MS = 100;

/** How often workers look for runs besides the pub/sub notices. */
export const DISCOVERY_INTERVAL_MS = 1_000;
