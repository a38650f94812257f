/** The tile job protocol's checks a worker makes before running a job (no Redis needed). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { doneMessage, parseDone, PROTOCOL_VERSION, refuseReason, type ImageJobData } from '../../src/queue/protocol.js';

const job = (over: Record<string, unknown>): ImageJobData => ({ v: PROTOCOL_VERSION, filter: { abi: 1, label: 'x.wasm' }, ...over }) as unknown as ImageJobData;

test('a worker refuses a job of another filter ABI or protocol version, and takes a good one', () => {
  assert.equal(refuseReason(job({}), 1), undefined);
  assert.match(refuseReason(job({ filter: { abi: 2, label: 'x.wasm' } }), 1)!, /filter x\.wasm needs filter ABI 2 but this worker implements ABI 1/);
  assert.match(refuseReason(job({ v: PROTOCOL_VERSION + 1 }), 1)!, /image job protocol \d+ is not this worker's/);
});

test('done messages round-trip a report or a failure, and anything else is not taken for one', () => {
  const report = { width: 3, height: 2, layout: 'rgb', channels: 3, tiles: 1, ms: 5, worker: 'w:1' };
  assert.deepEqual(parseDone(doneMessage(7, report)), { seq: 7, done: report });
  assert.deepEqual(parseDone(doneMessage(8, 'a.png: broken\twith a tab')), { seq: 8, failure: 'a.png: broken\twith a tab' });
  assert.equal(parseDone('garbage'), undefined);
  assert.equal(parseDone('x\t{}'), undefined);
  assert.equal(parseDone('3\tnot json'), undefined);
});

test('job checks: keys are derived, numbers are integers in range, shared paths stay inside, caps are lowered to the worker\'s', async () => {
  const { checkJob, isContainedPath } = await import('../../src/queue/job-check.js');
  const { RunKeys } = await import('../../src/queue/keys.js');
  const keys = new RunKeys('abc123');
  const limits = { maxFilterMemoryMb: 100, maxTileTimeoutMs: 1000, maxTtlMs: 5000, maxPixels: 1000 };
  const good = {
    v: PROTOCOL_VERSION, run: 'abc123', seq: 4, transport: 'bytes', name: 'photo.png\u001b[2J', inputBytes: 10, ext: '.png',
    filter: { name: 'f', label: 'f.wasm\u001b[2J', builtin: false, abi: 1, plain: 'a'.repeat(128) },
    params: { sigma: 2 }, tileSize: 256, maxPixels: 10 ** 9, filterMemoryMb: 4096, tileTimeoutMs: 60_000, ttlMs: 10 ** 9,
  };
  const ok = checkJob(good, keys, limits);
  assert.equal(typeof ok, 'object');
  if (typeof ok === 'string') return;
  assert.equal(ok.filterMemoryMb, 100);
  assert.equal(ok.tileTimeoutMs, 1000);
  assert.equal(ok.ttlMs, 5000);
  assert.equal(ok.maxPixels, 1000);
  assert.doesNotMatch(ok.filter.label + ok.name, /\u001b/, 'texts are sanitised before they reach a log');
  const refused = (over: object) => checkJob({ ...good, ...over }, keys, limits);
  assert.match(refused({ run: 'zzz' }) as string, /run/);
  assert.match(refused({ seq: 1.5 }) as string, /seq/);
  assert.match(refused({ transport: 'ftp' }) as string, /transport/);
  assert.match(refused({ inputBytes: 2 ** 40 }) as string, /inputBytes/);
  assert.match(refused({ transport: 'raw', width: 0, height: 5 }) as string, /size/);
  assert.match(refused({ transport: 'shared', input: '../etc/passwd', output: 'out/a.png' }) as string, /inside the shared directory/);
  assert.match(refused({ transport: 'shared', input: '/etc/passwd', output: 'out/a.png' }) as string, /inside the shared directory/);
  assert.equal(typeof refused({ transport: 'shared', input: 'in/a.png', output: 'out/a.png' }), 'object');
  assert.match(refused({ params: { a: 1, b: 2, c: 3, d: 4, e: 5 } }) as string, /params/);
  assert.match(refused({ params: { a: '1' } }) as string, /params/);
  assert.match(refused({ ext: '../x' }) as string, /ext/);
  assert.match(refused({ ttlMs: 2 ** 40 }) as string, /ttlMs/);
  assert.match(refused({ filter: { ...good.filter, plain: 'xyz' } }) as string, /filter hash/);
  assert.match(checkJob(null, keys, limits) as string, /not an object/);
  assert.equal(isContainedPath('a/../../b'), false);
  assert.equal(isContainedPath('a/./b.png'), true);
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
