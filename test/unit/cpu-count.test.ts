/** The CPU quota a process reads from its cgroup: v1 and v2 layouts, parents capping children, no quota. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cgroupCpuQuota } from '../../src/pipeline/cpu-count.js';

const root = mkdtempSync(join(tmpdir(), 'tessera-cgroup-'));
after(() => rmSync(root, { recursive: true, force: true }));

function files(dir: string, entries: Record<string, string>): void {
  mkdirSync(join(root, dir), { recursive: true });
  for (const [name, text] of Object.entries(entries)) writeFileSync(join(root, dir, name), `${text}\n`);
}

test('cgroup v1: the quota of the process cgroup, over its period; -1 is no quota', () => {
  files('cpu', { 'cpu.cfs_quota_us': '-1', 'cpu.cfs_period_us': '100000' });
  files('cpu/bench', { 'cpu.cfs_quota_us': '-1', 'cpu.cfs_period_us': '100000' });
  files('cpu/bench/m3', { 'cpu.cfs_quota_us': '40000', 'cpu.cfs_period_us': '100000' });
  assert.equal(cgroupCpuQuota('4:memory:/x\n1:cpu:/bench/m3\n0::/\n', root), 0.4);
  assert.equal(cgroupCpuQuota('1:cpu:/bench\n', root), undefined);
});

test('cgroup v1: a parent quota caps its child; a combined cpu,cpuacct mount is found', () => {
  files('cpu,cpuacct/outer', { 'cpu.cfs_quota_us': '150000', 'cpu.cfs_period_us': '100000' });
  files('cpu,cpuacct/outer/inner', { 'cpu.cfs_quota_us': '300000', 'cpu.cfs_period_us': '100000' });
  assert.equal(cgroupCpuQuota('2:cpu,cpuacct:/outer/inner\n', root), 1.5);
});

test('cgroup v2: cpu.max "quota period", and "max" for none', () => {
  files('svc', { 'cpu.max': '250000 100000' });
  files('free', { 'cpu.max': 'max 100000' });
  assert.equal(cgroupCpuQuota('0::/svc\n', root), 2.5);
  assert.equal(cgroupCpuQuota('0::/free\n', root), undefined);
  assert.equal(cgroupCpuQuota('0::/gone\n', root), undefined, 'an unreadable cgroup is no quota');
});
