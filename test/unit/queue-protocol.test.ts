/** The tile job protocol's checks a worker makes before running a job (no Redis needed). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PROTOCOL_VERSION, refuseReason, type TileJobData } from '../../src/queue/protocol.js';

const job = (over: Record<string, unknown>): TileJobData =>
  ({ v: PROTOCOL_VERSION, filter: { abi: 1, label: 'x.wasm' }, width: 4, height: 4, halo: 0, ...over }) as unknown as TileJobData;

test('a worker refuses a job of another filter ABI, protocol version or a malformed size, and takes a good one', () => {
  assert.equal(refuseReason(job({}), 1), undefined);
  assert.match(refuseReason(job({ filter: { abi: 2, label: 'x.wasm' } }), 1)!, /filter x\.wasm needs filter ABI 2 but this worker implements ABI 1/);
  assert.match(refuseReason(job({ v: PROTOCOL_VERSION + 1 }), 1)!, /tile job protocol \d+ is not this worker's/);
  assert.match(refuseReason(job({ width: 0 }), 1)!, /malformed tile job: 0×4 halo 0/);
});
