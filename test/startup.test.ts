/** The start-up bench on a tiny run: every figure present, plausible, and rendered. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderStartupMarkdown } from '../src/bench/startup/markdown.js';
import { runStartupBench } from '../src/bench/startup/run-startup.js';

test('tessera bench startup measures compile tiers, cache, isolation levels, memory and artifacts', async () => {
  const r = await runStartupBench({ filters: ['invert', 'gaussian-blur'], tiles: 100, processes: 3, instances: 200, largeModule: false });
  assert.deepEqual(r.modules.map((m) => m.filter), ['invert', 'gaussian-blur']);
  for (const m of r.modules) {
    for (const v of [m.compileColdMs, m.liftoff.compileMs, m.turbofan.compileMs, m.instantiateMs, m.firstCallMs, m.liftoff.tileMs, m.turbofan.tileMs]) {
      assert.ok(Number.isFinite(v) && v > 0, `${m.filter}: ${v}`);
    }
    assert.ok(m.cachedMs < m.compileColdMs, `${m.filter}: the cache beats a cold compile`);
    assert.ok(m.gzipBytes < m.bytes);
  }
  assert.deepEqual(r.isolation.map((i) => i.level), ['pooled', 'instance', 'process']);
  const [pooled, instance, proc] = r.isolation;
  assert.ok(pooled.medianMs < proc.medianMs && instance.medianMs < proc.medianMs, 'a process per tile costs the most');
  assert.ok(pooled.p99Ms >= pooled.medianMs);
  assert.ok(r.memory.bytesPerInstance > 0 && r.memory.instancesPerGiB > 1000, `${r.memory.bytesPerInstance} bytes per instance`);
  assert.ok(r.memory.freshNodeRssMb > 10);
  assert.ok(r.artifacts.some((a) => a.name === 'tessera invert.wasm'));
  const md = renderStartupMarkdown(r);
  assert.match(md, /fresh OS process \| 3 \|/);
  assert.match(md, /instances per GiB/);
});
