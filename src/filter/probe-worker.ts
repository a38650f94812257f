/** The probe thread: asks the filter about itself and raises the flag its caller waits on. */
import { workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { gatherFacts, type FilterVariant } from './filter-module.js';
import type { FilterFacts, ProbeAsk } from './probe.js';

const { variant, ask, state, port } = workerData as { variant: FilterVariant; ask: ProbeAsk; state: Int32Array; port: MessagePort };
let facts: FilterFacts;
try {
  facts = gatherFacts(variant, ask);
} catch (err) {
  facts = { instantiateError: (err as Error)?.message ?? String(err) };
}
port.postMessage(facts);
Atomics.store(state, 0, 1);
Atomics.notify(state, 0);
