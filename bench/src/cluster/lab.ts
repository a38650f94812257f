/**
 * A simulated cluster on one box: "machines" that are Linux network namespaces on a bridge
 * of their own, each with its CPU capped by a cgroup.
 *
 *   tessera-sw   a switch namespace holding the bridge tessera-br (the root namespace's
 *                network is never touched: no link, address or route is added there)
 *   tessera-m<i> one namespace per machine, `lo` up, one veth tessera-v<i> with
 *                198.18.0.<i>/24 (RFC 2544's benchmark range), no default route, no NAT;
 *                its peer tessera-s<i> is a port of the bridge
 *   /sys/fs/cgroup/cpu/tessera-bench/tessera-m<i>
 *                cpu.cfs_period_us = 100000, cpu.cfs_quota_us = cap × period
 *
 * A machine's processes start inside its cgroup and then its namespace: `sh` writes its own
 * pid into the cgroup's cgroup.procs and execs `nsenter --net=/run/netns/NS program …`, which
 * enters the network namespace and nothing else: the program still sees /sys/fs/cgroup, so
 * tessera sizes its threads from the machine's quota as it would in a container. (Without
 * util-linux's nsenter, `ip netns exec NS program …`, which remounts /sys and hides the
 * cgroups: the cap still holds, but the program sizes its pools for the box.) Every thread and child of
 * the program inherits the cgroup, so the cap holds for libvips' and the worker pool's threads.
 * Where util-linux `setpriv` is installed it sits between the two (`setpriv --pdeathsig KILL`):
 * the process is SIGKILLed if the bench dies without its teardown (kill -9).
 *
 * `teardown()` is synchronous and idempotent: it SIGKILLs every process the lab started (and
 * anything else in its cgroups and namespaces), deletes the namespaces (with them the veths and
 * the bridge) and the cgroups. Call it from `finally`, signal handlers and `process.on('exit')`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CGROUP_PARENT, cgroupPids, killAll, removeCgroup, removeNamespace, run, sleepSync } from './host.js';

/** The CFS period every machine's cgroup uses, µs. */
export const CFS_PERIOD_US = 100_000;
/** The switch namespace and its bridge. */
export const SWITCH_NS = 'tessera-sw';
export const BRIDGE = 'tessera-br';
/** The machines' network: 198.18.0.0/24 out of 198.18.0.0/15. */
export const SUBNET = '198.18.0.0/24';
export const addressOf = (index: number) => `198.18.0.${index}`;

export type MachineRole = 'redis' | 'coordinator' | 'worker';

/** One machine of the lab. */
export interface Machine {
  /** tessera-m<index>. */
  name: string;
  index: number;
  role: MachineRole;
  address: string;
  /** The veth inside the machine (tessera-v<index>) and its peer on the bridge (tessera-s<index>). */
  veth: string;
  switchPort: string;
  cgroup: string;
}

/** What the lab is made of, for the report. */
export interface LabDescription {
  switchNamespace: string;
  bridge: string;
  subnet: string;
  cpuCap: number;
  periodUs: number;
  quotaUs: number;
  machines: Array<Pick<Machine, 'name' | 'role' | 'address' | 'veth' | 'switchPort' | 'cgroup'>>;
}

/** Keeps the last `max` characters of a stream. */
class Tail {
  text = '';
  constructor(private readonly max = 64 * 1024) {}
  push(chunk: Buffer | string): void {
    this.text += chunk.toString();
    if (this.text.length > this.max * 2) this.text = this.text.slice(-this.max);
  }
}

/** A process running on a machine of the lab. */
export class MachineProcess {
  readonly stdout = new Tail(4 * 1024 * 1024);
  readonly stderr = new Tail();
  /** performance.now() at spawn and at exit. */
  readonly startedAt = performance.now();
  endedAt?: number;
  code: number | null = null;
  signal: NodeJS.Signals | null = null;
  /** Resolves at exit (never rejects). */
  readonly exited: Promise<void>;
  private listeners: Array<() => void> = [];
  /** Exited and its output read to the end. */
  private drained = false;

  constructor(
    readonly machine: Machine,
    readonly label: string,
    readonly child: ChildProcess,
  ) {
    child.stdout?.on('data', (d: Buffer) => {
      this.stdout.push(d);
      this.notify();
    });
    child.stderr?.on('data', (d: Buffer) => {
      this.stderr.push(d);
      this.notify();
    });
    // The exit time is the process's; the promise resolves once its output is read to the end
    // ('close'), or 2 s after the exit should something else hold its pipes open.
    this.exited = new Promise((resolve) => {
      let drainTimer: NodeJS.Timeout | undefined;
      const closed = () => {
        clearTimeout(drainTimer);
        this.drained = true;
        this.notify();
        resolve();
      };
      const exited = (code: number | null, signal: NodeJS.Signals | null) => {
        if (this.endedAt !== undefined) return;
        this.endedAt = performance.now();
        this.code = code;
        this.signal = signal;
        drainTimer = setTimeout(closed, 2_000);
      };
      child.once('exit', exited);
      child.once('close', closed);
      child.once('error', (err) => {
        this.stderr.push(`spawn error: ${err.message}\n`);
        exited(-1, null);
        closed();
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.endedAt === undefined;
  }

  /** Spawn to exit, ms (to now while running). */
  get wallMs(): number {
    return (this.endedAt ?? performance.now()) - this.startedAt;
  }

  private notify(): void {
    for (const l of this.listeners.splice(0)) l();
  }

  /** Resolves when `pattern` appears in stdout or stderr; rejects at exit or after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error(`${this.label} on ${this.machine.name}: no ${pattern} within ${(timeoutMs / 1000).toFixed(0)} s; its output: ${this.tail()}`)), timeoutMs);
      const check = () => {
        if (pattern.test(this.stdout.text) || pattern.test(this.stderr.text)) {
          clearTimeout(deadline);
          resolve();
        } else if (this.drained) {
          clearTimeout(deadline);
          reject(new Error(`${this.label} on ${this.machine.name} exited (${this.signal ?? this.code}) before ${pattern}: ${this.tail()}`));
        } else {
          this.listeners.push(check);
        }
      };
      check();
    });
  }

  /** Resolves at exit, or SIGKILLs the process after `timeoutMs` and then resolves; true when it exited by itself. */
  async waitExit(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      this.exited.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      this.kill('SIGKILL');
      await this.exited;
    }
    return !timedOut;
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (!this.alive) return;
    try {
      this.child.kill(signal);
    } catch {
      // gone
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 5_000): Promise<void> {
    if (!this.alive) return;
    this.kill('SIGTERM');
    await this.waitExit(graceMs);
  }

  /** The end of its output, one line, for error messages. */
  tail(chars = 600): string {
    return `${this.stderr.text}${this.stdout.text}`.trim().slice(-chars).replace(/\s*\n\s*/g, ' | ') || '(nothing)';
  }
}

/** Options of a new lab. */
export interface LabSpec {
  /** Machines to make: their last address octet and role. */
  machines: Array<{ index: number; role: MachineRole }>;
  /** CPUs each machine may use (CFS quota ÷ period). */
  cpuCap: number;
  /** The `ip` program. */
  ip: string;
  /** Environment of every process started on a machine (e.g. TMPDIR). */
  env: NodeJS.ProcessEnv;
  /** util-linux `setpriv`, when installed: every process then gets SIGKILL as its parent-death signal, so none outlives a bench that is itself SIGKILLed. */
  setpriv?: string;
  /** util-linux `nsenter`, when installed: processes enter their machine's network namespace only and keep seeing their cgroup's quota. */
  nsenter?: string;
}

/** The lab: namespaces, bridge, veths, cgroups, and the processes started on its machines. */
export class Lab {
  readonly machines = new Map<number, Machine>();
  readonly quotaUs: number;
  private readonly namespaces: string[] = [];
  private readonly cgroups: string[] = [];
  private readonly processes = new Set<MachineProcess>();
  private tornDown = false;

  private constructor(private readonly spec: LabSpec) {
    this.quotaUs = Math.max(1000, Math.round(spec.cpuCap * CFS_PERIOD_US));
  }

  /** Builds the switch, the machines and their cgroups. On any failure everything made so far is removed and the error rethrown. */
  static create(spec: LabSpec): Lab {
    const lab = new Lab(spec);
    try {
      lab.build();
    } catch (err) {
      lab.teardown();
      throw err;
    }
    return lab;
  }

  private ip(...args: string[]): string {
    return run(this.spec.ip, args);
  }

  private addNamespace(ns: string): void {
    this.ip('netns', 'add', ns);
    this.namespaces.push(ns);
    this.ip('-n', ns, 'link', 'set', 'lo', 'up');
  }

  private build(): void {
    this.addNamespace(SWITCH_NS);
    this.ip('-n', SWITCH_NS, 'link', 'add', BRIDGE, 'type', 'bridge');
    this.ip('-n', SWITCH_NS, 'link', 'set', BRIDGE, 'up');
    mkdirSync(CGROUP_PARENT, { recursive: true });
    this.cgroups.push(CGROUP_PARENT);
    for (const { index, role } of this.spec.machines) {
      if (!(Number.isInteger(index) && index >= 1 && index <= 254)) throw new Error(`machine index ${index} is outside 1..254`);
      const name = `tessera-m${index}`;
      const m: Machine = { name, index, role, address: addressOf(index), veth: `tessera-v${index}`, switchPort: `tessera-s${index}`, cgroup: join(CGROUP_PARENT, name) };
      this.addNamespace(name);
      // Both ends are created where they live: nothing appears in the root namespace, even for a moment.
      this.ip('-n', SWITCH_NS, 'link', 'add', m.switchPort, 'type', 'veth', 'peer', 'name', m.veth, 'netns', name);
      this.ip('-n', SWITCH_NS, 'link', 'set', m.switchPort, 'master', BRIDGE);
      this.ip('-n', SWITCH_NS, 'link', 'set', m.switchPort, 'up');
      this.ip('-n', name, 'addr', 'add', `${m.address}/24`, 'dev', m.veth);
      this.ip('-n', name, 'link', 'set', m.veth, 'up');
      mkdirSync(m.cgroup);
      this.cgroups.push(m.cgroup);
      writeFileSync(join(m.cgroup, 'cpu.cfs_period_us'), String(CFS_PERIOD_US));
      writeFileSync(join(m.cgroup, 'cpu.cfs_quota_us'), String(this.quotaUs));
      this.machines.set(index, m);
    }
  }

  machine(index: number): Machine {
    const m = this.machines.get(index);
    if (!m) throw new Error(`no machine tessera-m${index}`);
    return m;
  }

  describe(): LabDescription {
    return {
      switchNamespace: SWITCH_NS,
      bridge: BRIDGE,
      subnet: SUBNET,
      cpuCap: this.spec.cpuCap,
      periodUs: CFS_PERIOD_US,
      quotaUs: this.quotaUs,
      machines: [...this.machines.values()].map(({ name, role, address, veth, switchPort, cgroup }) => ({ name, role, address, veth, switchPort, cgroup })),
    };
  }

  /** Starts `program args…` on machine `m`, inside its cgroup and network namespace. */
  spawn(m: Machine, label: string, program: string, args: readonly string[]): MachineProcess {
    if (this.tornDown) throw new Error('the lab is torn down');
    const script = 'echo $$ > "$0" || exit 126; exec "$@"';
    const deathSignal = this.spec.setpriv ? [this.spec.setpriv, '--pdeathsig', 'KILL'] : [];
    const enter = this.spec.nsenter ? [this.spec.nsenter, `--net=/run/netns/${m.name}`] : [this.spec.ip, 'netns', 'exec', m.name];
    const child = spawn('sh', ['-c', script, join(m.cgroup, 'cgroup.procs'), ...deathSignal, ...enter, program, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: this.spec.env,
    });
    const p = new MachineProcess(m, label, child);
    this.processes.add(p);
    void p.exited.then(() => this.processes.delete(p));
    return p;
  }

  /** Runs a short command on a machine (redis-cli, …) to its end, bounded by `timeoutMs`. */
  async exec(m: Machine, program: string, args: readonly string[], timeoutMs = 10_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const p = this.spawn(m, program, program, args);
    await p.waitExit(timeoutMs);
    return { code: p.code, stdout: p.stdout.text, stderr: p.stderr.text };
  }

  /** Takes a machine's link to the switch down (`ip link set tessera-s<i> down` in the switch namespace: the cable pulled at the switch). */
  cutLink(m: Machine): void {
    this.ip('-n', SWITCH_NS, 'link', 'set', m.switchPort, 'down');
  }

  restoreLink(m: Machine): void {
    this.ip('-n', SWITCH_NS, 'link', 'set', m.switchPort, 'up');
  }

  /**
   * How many threads process `pid` has, and which of them are not in `m`'s cgroup (cgroup v1
   * lists every thread in `tasks`): none outside means the cap holds for all of them.
   */
  threadsOutsideCgroup(m: Machine, pid: number): { threads: number; outside: number[] } {
    try {
      const tasks = readdirSync(`/proc/${pid}/task`).map(Number);
      const inCgroup = new Set(readFileSync(join(m.cgroup, 'tasks'), 'utf8').split('\n').filter(Boolean).map(Number));
      return { threads: tasks.length, outside: tasks.filter((t) => !inCgroup.has(t)) };
    } catch {
      return { threads: 0, outside: [] };
    }
  }

  /** cpu.stat of a machine's cgroup (nr_periods, nr_throttled, throttled_time in ns). */
  cpuStat(m: Machine): Record<string, number> {
    try {
      const text = readFileSync(join(m.cgroup, 'cpu.stat'), 'utf8');
      return Object.fromEntries(
        text
          .split('\n')
          .filter(Boolean)
          .map((l) => {
            const [k, v] = l.split(/\s+/);
            return [k, Number(v)];
          }),
      );
    } catch {
      return {};
    }
  }

  /** Resolves once every process the lab started has exited and been reaped, or after `timeoutMs`. */
  async settled(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all([...this.processes].map((p) => p.exited)), new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
  }

  /** Kills every process the lab started and removes every namespace and cgroup it made. Synchronous, idempotent; returns what it could not remove. */
  teardown(): string[] {
    if (this.tornDown) return [];
    this.tornDown = true;
    const errors: string[] = [];
    for (const p of this.processes) p.kill('SIGKILL');
    killAll([...this.processes].map((p) => p.pid ?? 0));
    for (const cg of this.cgroups) killAll(cgroupPids(cg));
    if (this.processes.size) sleepSync(50);
    // Machines first (their veth pairs go with them), the switch and its bridge last.
    for (const ns of [...this.namespaces].reverse()) {
      const e = removeNamespace(ns, this.spec.ip);
      if (e) errors.push(e);
    }
    for (const cg of [...this.cgroups].reverse()) {
      const e = removeCgroup(cg);
      if (e) errors.push(e);
    }
    return errors;
  }
}
