/**
 * Asking an untrusted filter about itself — instantiating it (its start function runs),
 * `tessera_abi()`, `halo()`, `scratch_size()` — in a thread of its own under a deadline,
 * so a loop there fails the load with a clear error instead of hanging the caller.
 * Synchronous for its callers (`loadFilter` and session set-up are): the calling thread
 * waits on a shared flag the probe thread raises, at most `timeoutMs`, and reads the
 * answer from a message port without turning the event loop.
 */
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { FilterVariant } from './filter-module.js';

/** What a probe asks besides instantiation, `tessera_abi()` and the export arities. */
export interface ProbeAsk {
  /** i32 params for `halo()` (and `scratch_size()` with `tileSize`). */
  params?: readonly number[];
  tileSize?: number;
}

/** A call's answer, or its failure in words. */
export type ProbeOutcome = { value: number } | { error: string };

/** What the filter's own code answered. */
export interface FilterFacts {
  /** Instantiation (or the start function) failed: why. */
  instantiateError?: string;
  /** Arity of `filter`, `halo`, and `scratch_size` (0 when it is not exported). */
  arity?: { filter: number; halo: number; scratch_size: number };
  abi?: ProbeOutcome;
  halo?: ProbeOutcome;
  scratch?: ProbeOutcome;
}

/** How long a filter may take to instantiate and answer at load, in ms. */
export const PROBE_TIMEOUT_MS = 5000;

const PROBE_WORKER = new URL('./probe-worker.js', import.meta.url);

/** The probe thread timed out or died. */
export class ProbeTimeout extends Error {}

/**
 * Runs the probe in a fresh thread and waits for it, at most `timeoutMs`.
 * @throws ProbeTimeout when it does not answer in time (the thread is terminated)
 */
export function probeInThread(variant: FilterVariant, ask: ProbeAsk, timeoutMs = PROBE_TIMEOUT_MS): FilterFacts {
  const state = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(PROBE_WORKER, { workerData: { variant, ask, state, port: port2 }, transferList: [port2] });
  worker.unref();
  try {
    const waited = Atomics.wait(state, 0, 0, timeoutMs);
    const reply = receiveMessageOnPort(port1);
    if (waited === 'timed-out' || !reply) throw new ProbeTimeout(`did not finish instantiating and answering tessera_abi()/halo()/scratch_size() within ${timeoutMs} ms`);
    return reply.message as FilterFacts;
  } finally {
    void worker.terminate();
    port1.close();
  }
}
