import { availableParallelism, cpus, totalmem, release, platform, arch } from 'node:os';

/** The machine a benchmark ran on, as the report names it. */
export interface MachineInfo {
  cpus: number;
  model: string;
  node: string;
  v8: string;
  os: string;
  memoryGb: number;
}

/** Describes this machine. */
export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    cpus: availableParallelism(),
    model: list[0]?.model.trim() ?? 'unknown',
    node: process.versions.node,
    v8: process.versions.v8,
    os: `${platform()} ${release()} ${arch()}`,
    memoryGb: Math.round(totalmem() / 2 ** 30),
  };
}

/** One line: "2 × Intel(R) Xeon(R) …, 24 GiB, Node 20.20.2 (V8 11.3), linux …". */
export function formatMachine(m: MachineInfo): string {
  return `${m.cpus} × ${m.model}, ${m.memoryGb} GiB, Node ${m.node} (V8 ${m.v8}), ${m.os}`;
}
