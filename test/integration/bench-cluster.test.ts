/**
 * `tessera bench cluster` on a small run: machines as network namespaces with capped CPU,
 * Redis, a coordinator and 1–2 workers, one fault (a worker SIGKILLed mid-run). Checks the
 * shape of cluster.json / cluster.md / cluster.html, that every output was verified against
 * the one-machine run, that nothing is left in Redis, and that no `tessera-` namespace, link
 * or cgroup outlives the bench — after a normal end, after SIGINT, and that a crashed run's
 * leftovers are removed at the start. No timing thresholds: the figures are the bench's to
 * report (adding machines may well be slower with today's queue).
 *
 * Needs Linux, root, `ip`, the cgroup v1 cpu controller and redis-server/redis-cli: skipped
 * locally without them (saying what is missing), failing under CI.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ClusterReport } from 'tessera-bench/cluster/types';
import { CLI, runCli } from '../helpers/cli.js';
import { CLUSTER_LOCK, clusterLeftovers, requireClusterHost, waitForClusterLock } from '../helpers/netns.js';
import { tempDir } from '../helpers/temp.js';

const skip = requireClusterHost();
const noLeftovers = { namespaces: [], links: [], cgroups: [] };

test('tessera bench cluster: one machine vs coordinator + 1 and 2 workers, a worker SIGKILLed, every output verified, nothing left behind', { skip }, async (t) => {
  const out = tempDir('tessera-test-cluster-out-');
  t.after(out.cleanup);
  await waitForClusterLock();
  // What a crashed run would have left: the bench removes it before it starts.
  execFileSync('ip', ['netns', 'add', 'tessera-m99']);
  mkdirSync('/sys/fs/cgroup/cpu/tessera-bench/tessera-m99', { recursive: true });

  const r = await runCli(
    ['bench', 'cluster', '--workers', '1,2', '--images', '6', '--filters', 'gaussian-blur', '--repeat', '1', '--cpu', '0.5', '--faults', 'worker-kill', '--out', out.dir],
    { timeoutMs: 240_000 },
  );
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(clusterLeftovers(), noLeftovers, 'no tessera- namespace, link or cgroup after the bench');
  assert.match(r.stderr, /removed what an earlier run left.*tessera-m99/);

  const report = JSON.parse(readFileSync(join(out.dir, 'cluster.json'), 'utf8')) as ClusterReport;
  assert.equal(report.kind, 'tessera-bench-cluster');
  assert.equal(report.settings.images, 6);
  assert.equal(report.settings.cpuCap, 0.5);
  assert.equal(report.lab.quotaUs, 50_000);
  assert.equal(report.lab.periodUs, 100_000);
  assert.deepEqual(
    report.lab.machines.map((m) => [m.name, m.role, m.address]),
    [
      ['tessera-m1', 'redis', '198.18.0.1'],
      ['tessera-m2', 'coordinator', '198.18.0.2'],
      ['tessera-m10', 'worker', '198.18.0.10'],
      ['tessera-m11', 'worker', '198.18.0.11'],
    ],
  );
  assert.ok(report.machine.cpus >= 1 && report.machine.model, 'the box is described');

  assert.deepEqual(report.rows.map((x) => [x.filter, x.kind, x.workers]), [
    ['gaussian-blur', 'local', 1],
    ['gaussian-blur', 'queue', 1],
    ['gaussian-blur', 'queue', 2],
  ]);
  for (const row of report.rows) {
    assert.equal(row.runs.length, 1, row.setup);
    assert.ok(row.verified, `${row.setup}: outputs equal the one-machine run's (${JSON.stringify(row.runs)})`);
    assert.ok(row.runs.every((run) => run.exitCode === 0 && run.wallMs > 0), row.setup);
    assert.ok(row.wall.median > 0 && row.imagesPerS > 0 && row.speedup > 0, `${row.setup}: figures`);
    if (row.kind === 'queue') assert.equal(row.keysLeft, 0, `${row.setup}: no tessera key left in Redis`);
  }
  assert.equal(report.rows[0].speedup, 1, 'the baseline is 1× itself');

  assert.equal(report.faults.length, 1);
  const [fault] = report.faults;
  assert.equal(fault.fault, 'worker-kill');
  assert.equal(fault.workers, 2);
  assert.ok(fault.injected, 'the worker was killed before the run ended');
  assert.ok(fault.outputsAtInjection! >= 1 && fault.outputsAtInjection! < 6, `mid-run: ${fault.outputsAtInjection} outputs then`);
  assert.equal(fault.exitCode, 0, fault.error);
  assert.ok(fault.verified, `outputs after the kill equal the baseline (${fault.problems?.join('; ')})`);
  assert.equal(fault.keysLeft, 0, 'no tessera key left in Redis after the faulted run');
  assert.ok(Number.isFinite(fault.lostMs) && fault.noFaultMs === report.rows[2].wall.median, 'time lost against the no-fault 2-worker run');

  assert.deepEqual(report.teardown, { namespaces: [], links: [], cgroups: [], errors: [] });
  assert.ok(report.capCheck && report.capCheck.cpus > 0 && report.capCheck.cpus < 0.5 * 1.25, `the cap holds for a process's threads (${report.capCheck?.cpus.toFixed(2)} CPU)`);
  assert.equal(report.capCheck.runThreadsOutside ?? 0, 0, "every thread of tessera run is in its machine's cgroup");

  const md = readFileSync(join(out.dir, 'cluster.md'), 'utf8');
  assert.match(md, /\| setup \| wall \(median\) \|/);
  assert.match(md, /\| \*\*one machine\*\* \|/);
  assert.match(md, /\| coordinator \+ 2 workers \|/);
  assert.match(md, /SIGKILL the worker on tessera-m10/);
  assert.match(md, /0\.5 CPU/);
  const html = readFileSync(join(out.dir, 'cluster.html'), 'utf8');
  assert.match(html, /data-chart="cluster-scaling"/);
  assert.match(html, /<svg[\s>]/);
  assert.doesNotMatch(html, /<script|https?:\/\/(?!www\.w3\.org)/, 'self-contained: no script, nothing fetched');
});

test('tessera bench cluster tears everything down on SIGINT', { skip }, async (t) => {
  const out = tempDir('tessera-test-cluster-int-');
  t.after(out.cleanup);
  await waitForClusterLock();
  const child = spawn(process.execPath, [CLI, 'bench', 'cluster', '--workers', '1', '--images', '4', '--filters', 'gaussian-blur', '--repeat', '1', '--out', out.dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const guard = setTimeout(() => child.kill('SIGKILL'), 120_000);
  t.after(() => clearTimeout(guard));
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (d) => {
      stderr += d;
      // Mid-bench: the lab is up and Redis serves.
      if (/Redis serving/.test(stderr)) resolve();
    });
    void exited.then(() => reject(new Error(`the bench ended before Redis served: ${stderr}`)));
  });
  assert.ok(clusterLeftovers().namespaces.length > 0, 'the lab exists while the bench runs');
  child.kill('SIGINT');
  assert.equal(await exited, 130, stderr);
  assert.match(stderr, /SIGINT, tearing the cluster down/);
  assert.deepEqual(clusterLeftovers(), noLeftovers, 'no tessera- namespace, link or cgroup after SIGINT');
  assert.ok(!existsSync(CLUSTER_LOCK), 'the lock is released');
});

test('tessera bench cluster refuses an unknown fault as a usage error', async () => {
  const r = await runCli(['bench', 'cluster', '--faults', 'meteor']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /unknown fault "meteor"; valid: worker-kill, link-cut, redis-restart, coordinator-kill/);
});

test('tessera bench cluster refuses without root: exit 3 (a missing requirement), saying what it needs', async () => {
  const asRoot = process.getuid?.() === 0;
  // As root, drop to nobody for this one command (setpriv, util-linux); otherwise run it as we are.
  const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
  if (asRoot && !setpriv) return;
  const args = [CLI, 'bench', 'cluster', '--images', '2', '--workers', '1'];
  const child = asRoot ? spawn(setpriv!, ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, ...args], { stdio: ['ignore', 'ignore', 'pipe'] }) : spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
  assert.equal(code, 3, stderr);
  assert.match(stderr, /tessera bench cluster needs (root|Linux)/);
});
