/**
 * The probe thread: answers questions about filters, one at a time, for as long as its
 * process lives (starting a thread costs ~50 ms; a session asks twice). Each answer is
 * posted on the port, then the flag the asking thread waits on is raised.
 */
import { workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { gatherFacts, type FilterVariant } from './filter-module.js';
import type { FilterFacts, ProbeAsk } from './probe.js';

interface ProbeQuestion {
  variant: FilterVariant;
  ask: ProbeAsk;
  flag: Int32Array;
}

const port = (workerData as { port: MessagePort }).port;
port.on('message', ({ variant, ask, flag }: ProbeQuestion) => {
  let facts: FilterFacts;
  try {
    facts = gatherFacts(variant, ask);
  } catch (err) {
    facts = { instantiateError: (err as Error)?.message ?? String(err) };
  }
  port.postMessage(facts);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
});
