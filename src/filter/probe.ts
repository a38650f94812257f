/**
 * Asking an untrusted filter about itself — instantiating it (its start function runs),
 * `tessera_abi()`, `halo()`, `scratch_size()` — in a thread of its own under a deadline,
 * so a loop there fails the load with a clear error instead of hanging the caller.
 * Synchronous for its callers (`loadFilter` and session set-up are): the calling thread
 * waits on a shared flag the probe thread raises, at most `timeoutMs`, and reads the
 * answer from a message port without turning the event loop. One probe thread serves the
 * process (a thread start is ~50 ms here); one that times out is terminated and replaced.
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
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

/** The probe thread and the port it answers on; made on first use, replaced after a timeout. */
let prober: { worker: Worker; port: MessagePort } | undefined;

function startProber(): { worker: Worker; port: MessagePort } {
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(PROBE_WORKER, { workerData: { port: port2 }, transferList: [port2] });
  // Never keeps the process alive, nor does its port.
  worker.unref();
  port1.unref();
  return { worker, port: port1 };
}

/** Starts the probe thread ahead of the first probe (idempotent), so its ~50 ms start overlaps the caller's own loading. */
export function warmProbe(): void {
  prober ??= startProber();
}

/**
 * Asks the probe thread and waits for its answer, at most `timeoutMs`.
 * @throws ProbeTimeout when it does not answer in time (the thread is terminated, and the next probe starts another)
 */
export function probeInThread(variant: FilterVariant, ask: ProbeAsk, timeoutMs = PROBE_TIMEOUT_MS): FilterFacts {
  prober ??= startProber();
  const { worker, port } = prober;
  const flag = new Int32Array(new SharedArrayBuffer(4));
  port.postMessage({ variant, ask, flag });
  const waited = Atomics.wait(flag, 0, 0, timeoutMs);
  const reply = receiveMessageOnPort(port);
  if (waited === 'timed-out' || !reply) {
    prober = undefined;
    port.close();
    void worker.terminate();
    throw new ProbeTimeout(`did not finish instantiating and answering tessera_abi()/halo()/scratch_size() within ${timeoutMs} ms`);
  }
  return reply.message as FilterFacts;
}
