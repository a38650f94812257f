/**
 * What it costs to hold sandboxes idle: N of one kind started, each waiting for a frame (its
 * filter process blocked in read(2) on stdin, checked in /proc/PID/syscall), then the memory of
 * every process involved read from /proc/PID/smaps_rollup, and for a container what the kernel
 * charges to its cgroup. Kinds are measured one after another, each torn down before the next,
 * since PSS splits shared pages among whoever maps them at that moment.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { WASI_PROCESS_SCRIPT } from 'tessera/internal/strategies/process/child-process';
import { bwrapCommand } from './bwrap.js';
import { FILTER_PROCESS_ENV, filterProcessArgv, type SandboxFile } from './filter-process-files.js';
import type { OciBundle } from './oci-bundle.js';
import { addMemory, blockedReading, cgroupMemory, findInTree, processMemory, processTree, treeMemory, ZERO_MEMORY, type ProcMemory } from './proc-memory.js';
import { runcDeleteForce, type ContainerIds } from './runc.js';
import type { SandboxReaper } from './sandbox-reaper.js';
import type { HoldingCost, SandboxKind } from './types.js';

const HOLDER = fileURLToPath(new URL('./instance-holder.js', import.meta.url));
const GIB = 2 ** 30;

/** The container runtimes available to the measurement (a kind whose runtime is absent is not measured). */
export interface SandboxRuntimes {
  runc?: { runc: string; bundle: OciBundle; ids: ContainerIds };
  bwrap?: { bwrap: string; files: readonly SandboxFile[] };
}

/** Options of {@link measureHoldingCosts}. */
export interface HoldingOptions {
  /** Idle sandboxes of each process kind alive at once. */
  sandboxes: number;
  /** Idle instances in the one host process (they are small: many, so that growth stands out of noise). */
  instances: number;
  /** The filter's WASI command form (what the sandboxes run) and its plain module (what the instances are). */
  commandPath: string;
  wasmPath: string;
  runtimes: SandboxRuntimes;
  reaper: SandboxReaper;
  /** Longest wait for one sandbox to be idle. @defaultValue 20000 */
  readyTimeoutMs?: number;
  onStep?: (label: string) => void;
}

interface IdleSandbox {
  child: ChildProcess;
  /** The filter process itself (inside the sandbox). */
  filterPid: number;
  containerId?: string;
}

const perGiB = (bytes: number) => (bytes > 0 ? Math.floor(GIB / bytes) : NaN);
const divide = (m: ProcMemory, n: number): ProcMemory => ({ rss: m.rss / n, pss: m.pss / n, pssAnon: m.pssAnon / n, pssFile: m.pssFile / n });

/** The filter process: argv[0] is Node and the filter-process script is an argument (bwrap's own argv also names the script, after its options). */
const isFilterProcess = (argv: string[]) => argv[0] === process.execPath && argv.includes(WASI_PROCESS_SCRIPT);

/** Starts one idle sandbox and resolves once its filter process is blocked reading stdin. */
async function startIdle(kind: Exclude<SandboxKind, 'instance'>, options: HoldingOptions): Promise<IdleSandbox> {
  const argv = filterProcessArgv(options.commandPath);
  let command: string;
  let args: string[];
  let containerId: string | undefined;
  if (kind === 'runc') {
    const { runc, bundle, ids } = options.runtimes.runc!;
    containerId = ids.next('idle');
    options.reaper.trackContainer(containerId);
    command = runc;
    args = ['run', '--bundle', bundle.writeBundle(containerId, argv), containerId];
  } else if (kind === 'bwrap') {
    const { bwrap, files } = options.runtimes.bwrap!;
    [command, ...args] = [...bwrapCommand(files, bwrap), ...argv];
  } else {
    [command, ...args] = argv;
  }
  const child = options.reaper.track(spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...FILTER_PROCESS_ENV } }));
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  child.stdin!.on('error', () => {});
  child.on('error', () => {}); // seen below as an exit
  const deadline = performance.now() + (options.readyTimeoutMs ?? 20_000);
  while (performance.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) break;
    const filterPid = findInTree(child.pid, isFilterProcess);
    if (filterPid !== undefined && blockedReading(filterPid, 0)) return { child, filterPid, containerId };
    await sleep(20);
  }
  child.kill('SIGKILL');
  throw new Error(`${kind} sandbox did not become idle (its filter process blocked reading stdin) within ${options.readyTimeoutMs ?? 20_000} ms${stderr ? `: ${stderr.trim()}` : ''}`);
}

/** Ends each sandbox's stdin (its filter process exits at EOF), waits up to 5 s, kills what is left, deletes containers. */
async function stopIdle(sandboxes: IdleSandbox[], options: HoldingOptions): Promise<void> {
  await Promise.all(
    sandboxes.map(
      (s) =>
        new Promise<void>((resolve) => {
          if (s.child.exitCode !== null || s.child.signalCode !== null) return resolve();
          const kill = setTimeout(() => s.child.kill('SIGKILL'), 5_000);
          s.child.once('close', () => {
            clearTimeout(kill);
            resolve();
          });
          s.child.stdin!.end();
        }),
    ),
  );
  for (const s of sandboxes) {
    if (!s.containerId) continue;
    runcDeleteForce(options.runtimes.runc!.runc, s.containerId);
    options.runtimes.runc!.bundle.removeBundle(s.containerId);
    options.reaper.forget(s.containerId);
  }
}

async function holdProcesses(kind: Exclude<SandboxKind, 'instance'>, options: HoldingOptions): Promise<HoldingCost> {
  const idle: IdleSandbox[] = [];
  try {
    for (let i = 0; i < options.sandboxes; i++) idle.push(await startIdle(kind, options));
    await sleep(300); // let the last ones finish what follows their first read (V8's background work)
    let memory = ZERO_MEMORY;
    let supervisor = ZERO_MEMORY;
    let cgroupBytes = 0;
    let cgroupFile: string | undefined;
    let processes = 0;
    for (const s of idle) {
      const tree = processTree(s.child.pid!);
      processes += tree.length;
      memory = addMemory(memory, treeMemory(tree));
      supervisor = addMemory(supervisor, treeMemory(tree.filter((p) => p !== s.filterPid)));
      if (kind === 'runc') {
        const cg = cgroupMemory(s.filterPid);
        if (cg) {
          cgroupBytes += cg.bytes;
          cgroupFile ??= cg.file;
        }
      }
    }
    const n = idle.length;
    const per = divide(memory, n);
    const cgroup = cgroupFile ? cgroupBytes / n : undefined;
    return {
      kind,
      sandboxes: n,
      processes: processes / n,
      memory: per,
      ...(kind === 'process' ? {} : { supervisor: divide(supervisor, n) }),
      ...(cgroup !== undefined ? { cgroupBytes: cgroup, cgroupFile } : {}),
      perGiB: { rss: perGiB(per.rss), pss: perGiB(per.pss), ...(cgroup !== undefined ? { cgroup: perGiB(cgroup) } : {}) },
    };
  } finally {
    await stopIdle(idle, options);
  }
}

/** Reads one line from a child's stdout, bounded in time. */
function nextLine(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      done();
      resolve(buf.slice(0, nl));
    };
    const onExit = () => {
      done();
      reject(new Error(`the instance holder exited (${child.exitCode ?? child.signalCode})`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`the instance holder did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.off('exit', onExit);
    };
    child.stdout!.on('data', onData);
    child.once('exit', onExit);
  });
}

async function holdInstances(options: HoldingOptions): Promise<HoldingCost> {
  const child = options.reaper.track(spawn(process.execPath, ['--expose-gc', HOLDER, options.wasmPath, String(options.instances)], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...FILTER_PROCESS_ENV } }));
  try {
    const timeout = options.readyTimeoutMs ?? 20_000;
    if ((await nextLine(child, timeout)) !== 'ready 0') throw new Error('the instance holder said something unexpected');
    await sleep(200);
    const before = processMemory(child.pid!);
    child.stdin!.write('go\n');
    if ((await nextLine(child, timeout)) !== `ready ${options.instances}`) throw new Error('the instance holder said something unexpected');
    await sleep(200);
    const after = processMemory(child.pid!);
    // Instances map no file. The file-backed part of PSS is Node's code, shared with every Node process on the machine:
    // its share here moves as other processes start and end (by hundreds of KiB while 1000 instances are made), not with
    // the instances, so their PSS is the anonymous growth alone.
    const pssAnon = after.pssAnon - before.pssAnon;
    const grown: ProcMemory = { rss: after.rss - before.rss, pss: pssAnon, pssAnon, pssFile: 0 };
    const per = divide(grown, options.instances);
    return { kind: 'instance', sandboxes: options.instances, processes: 0, memory: per, host: before, perGiB: { rss: perGiB(per.rss), pss: perGiB(per.pss) } };
  } finally {
    await new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
      child.once('close', () => {
        clearTimeout(kill);
        resolve();
      });
      child.stdin!.end();
    });
  }
}

/** The holding cost of every kind whose runtime is there: runc, bwrap, plain processes, instances. */
export async function measureHoldingCosts(options: HoldingOptions): Promise<HoldingCost[]> {
  const step = options.onStep ?? (() => {});
  const out: HoldingCost[] = [];
  if (options.runtimes.runc) {
    step(`holding cost: ${options.sandboxes} idle runc containers`);
    out.push(await holdProcesses('runc', options));
  }
  if (options.runtimes.bwrap) {
    step(`holding cost: ${options.sandboxes} idle bwrap sandboxes`);
    out.push(await holdProcesses('bwrap', options));
  }
  step(`holding cost: ${options.sandboxes} idle filter processes`);
  out.push(await holdProcesses('process', options));
  step(`holding cost: ${options.instances} idle filter instances in one process`);
  out.push(await holdInstances(options));
  return out;
}
