/**
 * Containers beside WebAssembly (issue 17): the bwrap and runc isolation levels give the pooled
 * instance's output bit for bit, the holding-cost measurement returns sane numbers, pipe inside
 * containers is verified, and teardown leaves no container (`runc list`), no process and no
 * temporary directory — also when the run is interrupted with SIGINT. Needs Linux, root, runc and
 * bwrap: locally skipped without them, under CI failed.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { test } from 'node:test';
import { applyReference } from 'tessera';
import { findOnPath } from 'tessera-bench/cluster/host';
import { isolationTile, pooledOutput } from 'tessera-bench/startup/isolation-tile';
import { measureContainers } from 'tessera-bench/startup/containers/measure-containers';
import { descendants } from 'tessera-bench/startup/containers/proc-memory';
import { ownPrefix, runcList } from 'tessera-bench/startup/containers/runc';
import { renderStartupMarkdown } from 'tessera-bench/startup/markdown';
import type { StartupReport } from 'tessera-bench/startup/types';
import { IN_CI, requireTool } from '../helpers/tools.js';
import { REPO_ROOT } from '../helpers/paths.js';

const runc = findOnPath('runc');
const bwrap = findOnPath('bwrap');
const isRoot = process.platform === 'linux' && process.getuid?.() === 0;
const skip =
  !isRoot && !IN_CI
    ? 'runc needs root and Linux: run the tests as root (sudo npm test); skipping the container tests'
    : requireTool('runc or bwrap', Boolean(runc && bwrap), 'apt-get install runc bubblewrap');
const MiB = 2 ** 20;

/** What a run of process `pid` may have left: its containers in `runc list`, its temporary directories. */
function leftovers(pid: number): { containers: string[]; dirs: string[] } {
  const prefix = ownPrefix(pid);
  return { containers: runcList(runc!).filter((id) => id.startsWith(prefix)), dirs: readdirSync(tmpdir()).filter((d) => d.startsWith(prefix)) };
}

/** Processes in a cgroup named after one of `pid`'s containers (a container's process outliving its deletion); a killed one may take a moment to be reaped, so this waits up to 5 s for none. */
async function processesInContainersOf(pid: number): Promise<number[]> {
  for (let i = 0; i < 100 && inContainersOf(pid).length; i++) await new Promise((r) => setTimeout(r, 50));
  return inContainersOf(pid);
}

function inContainersOf(pid: number): number[] {
  const prefix = ownPrefix(pid);
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cgroup`, 'utf8').includes(prefix);
      } catch {
        return false;
      }
    })
    .map(Number);
}

test('bwrap and runc levels are bit-identical to the pooled instance; holding costs are sane; nothing is left', { skip, timeout: 60_000 }, async () => {
  const tile = isolationTile('grayscale');
  const expected = pooledOutput(tile);
  assert.deepEqual(expected, applyReference('grayscale', tile.params, tile.rgba, 256, 256), 'the pooled instance matches the TypeScript reference');
  const steps: string[] = [];
  const { levels, report } = await measureContainers({ filter: 'grayscale', tile, expected, starts: 3, idle: 2, instances: 300, pipeImages: 2, pipeRounds: 1, onStep: (s) => steps.push(s) });

  assert.deepEqual(report.skipped, []);
  assert.deepEqual(levels.map((l) => [l.level, l.samples, l.verified]), [['bwrap', 3, true], ['runc', 3, true]]);
  for (const l of levels) assert.ok(l.medianMs > 1 && l.p99Ms >= l.medianMs && l.coldMs! > 1 && l.medianMs < 10_000, `${l.level}: ${l.medianMs} ms median, ${l.coldMs} ms cold`);

  assert.deepEqual(report.holding.map((h) => [h.kind, h.sandboxes, h.processes]), [['runc', 2, 2], ['bwrap', 2, 3], ['process', 2, 1], ['instance', 300, 0]]);
  for (const h of report.holding) {
    const { rss, pss, pssAnon, pssFile } = h.memory;
    // An instance's figure is a growth over hundreds of them: a few pages of noise either way.
    assert.ok(pss > 0 && pss <= rss * 1.01 + (h.kind === 'instance' ? 1024 : 0), `${h.kind}: PSS ${pss} within RSS ${rss}`);
    assert.ok(Math.abs(pssAnon + pssFile - pss) <= pss * 0.05 + 8192, `${h.kind}: anon + file ≈ PSS`);
    assert.equal(h.perGiB.pss, Math.floor(2 ** 30 / pss));
    if (h.kind === 'instance') assert.ok(rss < MiB, `an idle instance holds ${rss} bytes`);
    else assert.ok(rss > 5 * MiB && rss < 500 * MiB, `${h.kind}: ${rss / MiB} MiB RSS per sandbox (a Node process)`);
  }
  const container = report.holding[0];
  assert.ok(container.cgroupBytes! > MiB && container.cgroupBytes! < 500 * MiB, `the container's cgroup: ${container.cgroupBytes} bytes (${container.cgroupFile})`);
  assert.ok(container.supervisor!.rss > 0 && container.supervisor!.rss < container.memory.rss, 'runc\'s supervisor is part of the container\'s figure');

  const a = report.artifacts!;
  assert.ok(a.rootfs.parts.some((p) => p.role === 'node' && p.bytes > 10 * MiB), 'the rootfs carries Node');
  assert.ok(a.image.bytes < a.rootfs.bytes && a.image.layerBytes < a.image.bytes && a.image.layerTarBytes >= a.rootfs.bytes);
  assert.ok(a.filter.wasmBytes < 64 * 1024 && a.filter.wasiBytes < 64 * 1024);

  assert.deepEqual(report.pipe!.rows.map((r) => [r.launcher, r.runs, r.verified]), [['none', 1, true], ['bwrap', 1, true], ['runc', 1, true]]);
  assert.ok(report.pipe!.rows.every((r) => r.imagesPerS > 0 && Number.isFinite(r.vsPipe)));

  assert.deepEqual(report.teardown.containers, []);
  assert.deepEqual(report.teardown.processes, []);
  assert.deepEqual(leftovers(process.pid), { containers: [], dirs: [] });
  assert.deepEqual(descendants(), [], 'no process left below this one');
  assert.deepEqual(await processesInContainersOf(process.pid), []);

  // The report renders the two levels, the holding table and the claims.
  const md = renderStartupMarkdown({
    tool: 'tessera', date: '', machine: { cpus: 2, model: 'test', node: process.versions.node, v8: '', os: '', memoryGb: 1 }, modules: [], isolationFilter: 'grayscale',
    isolation: [{ level: 'pooled', samples: 1, medianMs: 0.05, p99Ms: 0.05 }, { level: 'instance', samples: 1, medianMs: 0.06, p99Ms: 0.06 }, ...levels],
    memory: { instances: 1, bytesPerInstance: 70_000, instancesPerGiB: 15_000, freshNodeRssMb: 40 }, artifacts: [], containers: report, notes: [],
  } satisfies StartupReport);
  assert.match(md, /\| fresh runc container \| 3 \|/);
  assert.match(md, /\| fresh bwrap sandbox \| 3 \|/);
  assert.match(md, /runc container \(Node filter process\) \| 2 \| 2 \|/);
  assert.match(md, /\| density \| 10–20× more WebAssembly sandboxes per machine \|/);
  assert.match(md, /no container of this run in `runc list`/);
});

test('an interrupted run (SIGINT while containers are up) deletes its containers and leaves no process', { skip, timeout: 60_000 }, async () => {
  const script = `
    import { isolationTile, pooledOutput } from 'tessera-bench/startup/isolation-tile';
    import { measureContainers } from 'tessera-bench/startup/containers/measure-containers';
    const tile = isolationTile('grayscale');
    await measureContainers({ filter: 'grayscale', tile, expected: pooledOutput(tile), starts: 2, idle: 4, instances: 100, pipe: false,
      onStep: (s) => process.stderr.write(s + '\\n') });
    process.stderr.write('finished\\n');`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  let interrupted = false;
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    // Interrupt once the second idle container is up: runc run processes and their containers exist.
    if (!interrupted && /idle runc containers/.test(stderr)) {
      interrupted = true;
      const wait = setInterval(() => {
        if (runcList(runc!).filter((id) => id.startsWith(ownPrefix(child.pid!))).length >= 2) {
          clearInterval(wait);
          child.kill('SIGINT');
        }
      }, 25);
      setTimeout(() => clearInterval(wait), 20_000).unref();
    }
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  assert.ok(interrupted, `the run reached its idle containers: ${stderr}`);
  assert.equal(code, 130, `exits 130 after SIGINT: ${stderr}`);
  assert.doesNotMatch(stderr, /finished/);
  assert.deepEqual(leftovers(child.pid!), { containers: [], dirs: [] });
  assert.deepEqual(await processesInContainersOf(child.pid!), []);
  assert.deepEqual(descendants(), []);
});
