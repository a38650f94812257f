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

test('job shape: keys are derived from run and seq, numbers are integers in range, caps are lowered to the worker\'s', async () => {
  const { checkJobShape } = await import('../../src/queue/job-check.js');
  const { RunKeys } = await import('../../src/queue/keys.js');
  const keys = new RunKeys('abc123');
  const limits = { maxMemoryPages: 100, maxTileTimeoutMs: 1000, maxTtlMs: 5000 };
  const good = {
    v: PROTOCOL_VERSION, run: 'abc123', seq: 4, src: keys.src(4), dst: keys.dst(4), width: 8, height: 8, halo: 1, params: [1, 2],
    filter: { name: 'f', label: 'f.wasm\u001b[2J', builtin: false, abi: 1, plain: 'a'.repeat(128) },
    maxMemoryPages: 4096, isolation: 'pooled', tileTimeoutMs: 60_000, ttlMs: 10 ** 9, image: 0,
  };
  const ok = checkJobShape(good, keys, limits);
  assert.equal(typeof ok, 'object');
  if (typeof ok === 'string') return;
  assert.equal(ok.maxMemoryPages, 100);
  assert.equal(ok.tileTimeoutMs, 1000);
  assert.equal(ok.ttlMs, 5000);
  assert.doesNotMatch(ok.filter.label, /\u001b/, 'the label is sanitised before it reaches a log');
  const refused = (over: object) => checkJobShape({ ...good, ...over }, keys, limits);
  assert.match(refused({ src: 'other:key' }) as string, /src/);
  assert.match(refused({ dst: 'tessera:runs' }) as string, /dst/);
  assert.match(refused({ run: 'zzz' }) as string, /run/);
  assert.match(refused({ seq: 1.5 }) as string, /seq/);
  assert.match(refused({ halo: 1000 }) as string, /halo/);
  assert.match(refused({ params: [1, 2, 3, 4, 5] }) as string, /params/);
  assert.match(refused({ params: ['1'] }) as string, /params/);
  assert.match(refused({ ttlMs: 2 ** 40 }) as string, /ttlMs/);
  assert.match(refused({ isolation: 'none' }) as string, /isolation/);
  assert.match(refused({ filter: { ...good.filter, plain: 'xyz' } }) as string, /filter hash/);
  assert.match(checkJobShape(null, keys, limits) as string, /not an object/);
});

test('HMAC: a job signs the same after a JSON round trip and fails when a field, its source or its result changes', async () => {
  const { JobSigner, resolveSecret } = await import('../../src/queue/auth.js');
  const signer = new JobSigner('0123456789abcdef0123');
  const job = { v: 1, run: 'r', seq: 3, params: [1, 2], filter: { name: 'x', plain: 'aa' }, width: 4 };
  const src = new Uint8Array([1, 2, 3]);
  const mac = signer.signJob(job, src);
  const travelled = { ...JSON.parse(JSON.stringify({ filter: job.filter, width: 4, seq: 3, v: 1, params: [1, 2], run: 'r' })), mac };
  assert.equal(signer.verifyJob(travelled, src), true);
  assert.equal(signer.verifyJob({ ...travelled, seq: 4 }, src), false);
  assert.equal(signer.verifyJob({ ...travelled, params: [1, 3] }, src), false);
  assert.equal(signer.verifyJob(travelled, new Uint8Array([1, 2, 4])), false);
  assert.equal(new JobSigner('another secret of 16+').verifyJob(travelled, src), false);
  assert.equal(signer.verifyJob({ ...travelled, mac: undefined }, src), false);
  const pixels = new Uint8Array([9, 9, 9, 9]);
  const stored = Buffer.concat([pixels, signer.signResult(mac, pixels)]);
  assert.deepEqual(new Uint8Array(signer.openResult(mac, stored)!), pixels);
  const tampered = Buffer.from(stored);
  tampered[0] ^= 1;
  assert.equal(signer.openResult(mac, tampered), undefined);
  assert.equal(signer.openResult(signer.signJob({ ...job, seq: 9 }, src), stored), undefined, 'a result answers one job only');
  assert.throws(() => resolveSecret('short', {}), /at least 16 characters/);
  assert.equal(resolveSecret(undefined, { TESSERA_SECRET: 'from the environment!' }), 'from the environment!');
  assert.equal(resolveSecret(undefined, {}), undefined);
});
