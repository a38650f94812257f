/**
 * The start-up bench on a tiny run: every figure present, consistent and rendered. How the
 * figures compare (cache vs compile, process vs instance) is the bench's to report, not a test's.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { StartupReport } from 'tessera-bench/startup/types';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';
import { renderStartupMarkdown } from 'tessera-bench/startup/markdown';
import { runStartupBench } from 'tessera-bench/startup/run-startup';

test('tessera bench startup measures compile tiers, cache, isolation levels, memory and artifacts', async () => {
  // Containers have a test of their own (containers.test.ts: root, runc and bwrap).
  const r = await runStartupBench({ filters: ['invert', 'gaussian-blur'], tiles: 100, processes: 3, instances: 200, largeModule: false, extismCalls: 5, containers: false });
  assert.deepEqual(r.modules.map((m) => m.filter), ['invert', 'gaussian-blur']);
  for (const m of r.modules) {
    for (const v of [m.compileColdMs, m.liftoff.compileMs, m.turbofan.compileMs, m.instantiateMs, m.firstCallMs, m.liftoff.tileMs, m.turbofan.tileMs]) {
      assert.ok(Number.isFinite(v) && v > 0, `${m.filter}: ${v}`);
    }
    assert.ok(Number.isFinite(m.cachedMs) && m.cachedMs >= 0 && m.handoffMs! > 0, `${m.filter}: cache and hand-off measured`);
    assert.ok(m.gzipBytes < m.bytes);
  }
  assert.deepEqual(r.isolation.map((i) => i.level), ['pooled', 'instance', 'process']);
  const [pooled, instance, proc] = r.isolation;
  for (const level of [pooled, instance, proc]) assert.ok(level.medianMs > 0 && level.p99Ms >= level.medianMs, `${level.level}: median and p99`);
  assert.deepEqual(r.isolation.map((i) => i.verified), [true, true, true], 'every level gives the pooled instance\'s output');
  assert.ok(proc.coldMs! > 0 && instance.coldMs === undefined, 'a fresh process\'s first start is reported apart');
  assert.deepEqual([pooled.samples, instance.samples, proc.samples], [100, 100, 3]);
  assert.ok(r.memory.bytesPerInstance > 0, `${r.memory.bytesPerInstance} bytes per instance`);
  assert.ok(Math.abs(r.memory.instancesPerGiB * r.memory.bytesPerInstance - 2 ** 30) < r.memory.bytesPerInstance, 'instances per GiB follows from bytes per instance');
  assert.ok(Math.abs(r.memory.linearBytes! + r.memory.engineBytes! - r.memory.bytesPerInstance) < 1, 'linear + engine = per instance');
  assert.ok(r.artifacts.some((a) => a.name.startsWith('sharp libvips')), 'sharp\'s native libvips beside the filters');
  assert.ok(r.memory.freshNodeRssMb > 0);
  assert.ok(r.artifacts.some((a) => a.name === 'tessera invert.wasm'));
  // The Extism rows (issue 14): a tile through plugin.call beside copy and shared, per filter the plugin holds.
  assert.deepEqual(r.extism?.tiles.map((t) => [t.filter, t.extism.samples, t.copy.samples, t.verified]), [['grayscale', 5, 100, true], ['gaussian-blur', 5, 100, true]]);
  assert.equal(r.extism?.creation.processes, 3);
  const md = renderStartupMarkdown(r);
  assert.match(md, /fresh OS process \| 3 \|/);
  assert.match(md, /instances per GiB/);
  assert.match(md, /\| gaussian-blur \| Extism `plugin.call` \| 5 \|/);
  assert.match(md, /a fresh sandbox per grayscale tile/);
});

test('tessera bench startup --filters invert writes startup.json and startup.md of the documented shape', async (t) => {
  const tmp = tempDir('tessera-startup-');
  t.after(tmp.cleanup);
  const r = await runCli(['bench', 'startup', '--filters', 'invert', '--processes', '2', '--tiles', '50', '--instances', '100', '--no-large-module', '--extism-calls', '3', '--no-containers', '--out', tmp.dir], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  const json = JSON.parse(readFileSync(join(tmp.dir, 'startup.json'), 'utf8')) as StartupReport;
  assert.deepEqual(Object.keys(json).sort(), ['artifacts', 'date', 'extism', 'isolation', 'isolationFilter', 'machine', 'memory', 'modules', 'notes', 'tool']);
  assert.deepEqual(Object.keys(json.extism!).sort(), ['creation', 'hostCall', 'plugin', 'sdk', 'tiles']);
  assert.equal(json.isolationFilter, 'invert');
  assert.deepEqual(Object.keys(json.modules[0]).sort(), ['bytes', 'cachedMs', 'compileColdMs', 'filter', 'firstCallMs', 'gzipBytes', 'handoffMs', 'instantiateMs', 'liftoff', 'turbofan']);
  assert.deepEqual(json.isolation.map((i) => [i.level, i.samples]), [['pooled', 50], ['instance', 50], ['process', 2]]);
  assert.deepEqual(Object.keys(json.memory).sort(), ['bytesPerInstance', 'engineBytes', 'freshNodeRssMb', 'instances', 'instancesPerGiB', 'linearBytes']);
  assert.equal(json.memory.instances, 100);
  assert.ok(json.notes.some((n) => /nodejs\/node#18265/.test(n)), 'says Node 20 has no on-disk module cache');
  assert.match(readFileSync(join(tmp.dir, 'startup.md'), 'utf8'), /## Start-up, isolation and density/);
  const bad = await runCli(['bench', 'startup', '--processes', '0']);
  assert.equal(bad.code, 2);
  const noExtism = await runCli(['bench', 'startup', '--help']);
  assert.match(noExtism.stdout, /--no-extism/);
  assert.match(noExtism.stdout, /--no-containers/);
});
