/** cluster.md: the machine, the lab, the scaling table per filter, the faults, the teardown check. */
import { formatMachine } from '../machine.js';
import { formatMs, formatRatio, markdownTable } from '../format.js';
import type { ClusterReport, FaultResult } from './types.js';

const ms = (v: number) => formatMs(v, 'table');
const yes = (b: boolean) => (b ? '✓' : '✗');

/** One line per fault for the table's "what happened" column. */
function faultOutcome(f: FaultResult): string {
  const parts: string[] = [];
  if (!f.injected) parts.push('not injected: the run ended first');
  else parts.push(`at ${ms(f.injectedAtMs!)}, ${f.outputsAtInjection} outputs written`);
  if (f.detail) parts.push(f.detail);
  if (f.rerun) {
    parts.push(
      `second run: exit ${f.rerun.exitCode}, ${f.rerun.presentBefore} outputs already there, skipped ${f.rerun.skipped ?? 'not reported'}, redid ${f.rerun.redone}` +
        (f.rerun.wasted ? ` (${f.rerun.wasted} of them finished before)` : ''),
    );
  }
  if (f.strayOutputs.length) parts.push(`stray files in the output: ${f.strayOutputs.slice(0, 3).join(', ')}${f.strayOutputs.length > 3 ? '…' : ''}`);
  if (f.strayTemp.length) parts.push(`left in TMPDIR: ${f.strayTemp.slice(0, 3).join(', ')}${f.strayTemp.length > 3 ? '…' : ''}`);
  if (f.keysSample?.length) parts.push(`keys left: ${f.keysSample.map((k) => `${k.key} (TTL ${k.ttl < 0 ? 'none' : `${k.ttl} s`})`).join(', ')}${f.keysLeft > f.keysSample.length ? ', …' : ''}`);
  if (f.problems?.length) parts.push(f.problems.join('; '));
  if (f.error) parts.push(`error: ${f.error.replace(/\|/g, '/').slice(0, 300)}`);
  return parts.join('; ').replace(/\n/g, ' ');
}

/** Renders cluster.md. */
export function renderClusterMarkdown(r: ClusterReport): string {
  const st = r.settings;
  const out: string[] = [];
  out.push('# tessera bench cluster', '');
  out.push(`Machine: ${formatMachine(r.machine)}. tessera ${r.version}, ${r.date.slice(0, 16).replace('T', ' ')} UTC.`, '');
  out.push(
    `Simulated cluster on this box: ${r.lab.machines.length} machines, each a network namespace on the bridge ${r.lab.bridge} ` +
      `(in its own namespace ${r.lab.switchNamespace}; ${r.lab.subnet}, no default route, no NAT), CPU capped at **${st.cpuCap} CPU** per machine ` +
      `(cgroup v1 cpu: cfs_quota_us ${r.lab.quotaUs} / cfs_period_us ${r.lab.periodUs}). ` +
      r.lab.machines.map((m) => `${m.name} ${m.address} (${m.role})`).join(', ') + '.',
    '',
  );
  out.push(
    `Input: ${st.images} images (${st.distinct} distinct, ${st.input}, repeated), ${st.megapixels.toFixed(1)} Mpx. ` +
      `Setups: **one machine** — \`tessera run --workers 1\` on one capped machine, no Redis; **coordinator + K workers** — \`tessera run --backend queue\` on the coordinator's machine, ` +
      `\`tessera worker --concurrency ${st.concurrency}${st.workerStrategy ? ` --strategy ${st.workerStrategy}` : ''}\` on each of K machines, Redis on its own. ` +
      `Wall: the whole \`tessera run\` process, spawn to exit, as a user runs it; median of ${st.repeat} run${st.repeat > 1 ? 's' : ''}. ` +
      'Every run\'s outputs decoded (sharp) and compared pixel by pixel with the one-machine run\'s.',
    '',
  );
  if (r.capCheck) {
    const c = r.capCheck;
    out.push(
      `Cap check: ${c.threads} busy threads in one process on one machine got ${c.cpus.toFixed(2)} CPU together (${formatMs(c.cpuMs, 'table')} CPU in ${formatMs(c.wallMs, 'table')}).` +
        (c.runThreads !== undefined ? ` A \`tessera run\` process had ${c.runThreads} threads, ${c.runThreadsOutside} of them outside its machine's cgroup.` : ''),
      '',
    );
  }
  for (const filter of st.filters) {
    const rows = r.rows.filter((x) => x.filter === filter).sort((a, b) => (a.kind === b.kind ? a.workers - b.workers : a.kind === 'local' ? -1 : 1));
    if (!rows.length) continue;
    out.push(`## ${filter}${st.params[filter]?.length ? ` (${st.params[filter].join(', ')})` : ''}`, '');
    out.push(
      markdownTable(
        ['setup', 'wall (median)', 'min–max', 'images/s', 'vs one machine', 'runs', 'verified'],
        rows.map((x) => [
          x.kind === 'local' ? `**${x.setup}**` : x.setup,
          ms(x.wall.median),
          `${ms(x.wall.min)}–${ms(x.wall.max)}`,
          Number.isFinite(x.imagesPerS) ? x.imagesPerS.toFixed(2) : '—',
          formatRatio(x.speedup),
          String(x.runs.length),
          yes(x.verified),
        ]),
        ['left', 'right', 'right', 'right', 'right', 'right', 'center'],
      ),
      '',
    );
    const work = rows.filter((x) => x.workerWork?.length);
    if (work.length) {
      const said = (x: (typeof work)[number]) => `${x.setup}: ${x.workerWork!.map((w) => w.count ?? '?').join(' / ')} ${x.workerWork!.find((w) => w.unit)?.unit ?? ''}`.trim();
      out.push(`Work per worker over all the runs of its setup, as each said when stopped with SIGTERM: ${work.map(said).join('; ')}.`, '');
      const killed = work.flatMap((x) => x.workerWork!.filter((w) => w.stopped === 'SIGKILL').map((w) => `${w.machine} (${x.setup})`));
      if (killed.length) out.push(`Did not exit within 10 s of SIGTERM and were SIGKILLed (? above): ${killed.join(', ')}.`, '');
    }
    const leaky = rows.filter((x) => x.keysLeft);
    if (leaky.length) {
      out.push(`**tessera:* keys left in Redis** 15 s after the last run: ${leaky.map((x) => `${x.setup}: ${x.keysLeft} (${x.keysSample!.map((k) => `${k.key}, TTL ${k.ttl < 0 ? 'none' : `${k.ttl} s`}`).join('; ')})`).join('; ')}.`, '');
    }
    const failed = rows.flatMap((x) => x.runs.filter((run) => !run.verified).map((run) => `${x.setup}: ${run.error ?? run.problems?.join('; ') ?? `exit ${run.exitCode}`}`));
    if (failed.length) out.push(`Not verified: ${failed.map((f) => f.replace(/\n/g, ' ').slice(0, 300)).join('; ')}.`, '');
  }
  if (r.faults.length) {
    const f0 = r.faults[0];
    out.push(`## Faults (${f0.filter}, coordinator + ${f0.workers} workers)`, '');
    out.push(
      `Each fault in a run of its own with fresh workers, injected once ${Math.round(st.faultAt * 100)}% of the outputs existed. ` +
        `Time lost: the faulted run's wall (for the coordinator kill: the killed run plus the second) minus the no-fault median (${ms(f0.noFaultMs)}). ` +
        'Keys: `tessera:*` left in Redis afterwards (SCAN with redis-cli on the Redis machine), after a bounded wait.',
      '',
    );
    out.push(
      markdownTable(
        ['fault', 'wall', 'time lost', 'exit', 'outputs = baseline', 'keys left', 'what happened'],
        r.faults.map((f) => [
          f.what,
          ms(f.wallMs),
          Number.isFinite(f.lostMs) ? `${f.lostMs >= 0 ? '+' : '−'}${ms(Math.abs(f.lostMs))}` : '—',
          String(f.exitCode ?? '—'),
          yes(f.verified),
          f.keysLeft ? `**${f.keysLeft}**` : `0${f.keysGoneAfterMs !== undefined && f.keysGoneAfterMs > 300 ? ` (after ${ms(f.keysGoneAfterMs)})` : ''}`,
          faultOutcome(f),
        ]),
        ['left', 'right', 'right', 'right', 'center', 'right', 'left'],
      ),
      '',
    );
  }
  if (r.teardown) {
    const left = [...r.teardown.namespaces, ...r.teardown.links, ...r.teardown.cgroups, ...r.teardown.errors];
    out.push(`Teardown: ${left.length ? `**left behind: ${left.join(', ')}**` : 'every process killed; no `tessera-` namespace (`ip netns list`), root-namespace link (`ip link`) or cgroup (/sys/fs/cgroup/cpu) left.'}`, '');
  }
  for (const n of r.notes) out.push(`- ${n}`);
  if (r.notes.length) out.push('');
  return out.join('\n');
}
