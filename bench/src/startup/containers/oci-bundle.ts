/**
 * The OCI bundle tessera builds for a filter process under runc: a root filesystem holding a
 * copy of exactly the files the process needs (`filterProcessFiles`, at their host paths — a
 * container image carries its runtime), and a `config.json` made by `runc spec` and edited:
 * no terminal, read-only root, uid/gid 65534 with no capabilities and no new privileges, PATH
 * only, its own network namespace (only lo) beside pid, ipc, uts and mount ones. One rootfs
 * and template serve every container; each container gets a bundle directory of its own
 * holding only its config.json (`root.path` points at the shared rootfs), so containers can
 * run side by side with the cgroup runc names after each ID.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { SandboxFile } from './filter-process-files.js';
import { FILTER_PROCESS_ENV } from './filter-process-files.js';
import { SANDBOX_UID } from './bwrap.js';

/** The parts of an OCI runtime config this module edits (the rest is `runc spec`'s, kept as is). */
export interface RuntimeConfig {
  ociVersion: string;
  process: {
    terminal?: boolean;
    user: { uid: number; gid: number };
    args: string[];
    env: string[];
    cwd: string;
    capabilities?: Record<string, string[]>;
    noNewPrivileges?: boolean;
    [k: string]: unknown;
  };
  root: { path: string; readonly?: boolean };
  hostname?: string;
  linux?: { namespaces?: Array<{ type: string; path?: string }>; [k: string]: unknown };
  [k: string]: unknown;
}

/** A root filesystem and a runtime-config template, and the per-container bundles made from them. */
export class OciBundle {
  /** The root filesystem every container of this bundle runs on (read-only to them). */
  readonly rootfs: string;
  /** `runc spec`'s config, edited; `process.args` is set per container. */
  readonly template: RuntimeConfig;
  private readonly bundles: string;

  /**
   * Builds the rootfs under `dir` (created) and the config template.
   * @param runc the runc binary (`runc spec` writes the default config)
   */
  constructor(readonly dir: string, readonly files: readonly SandboxFile[], runc: string) {
    this.rootfs = join(dir, 'rootfs');
    this.bundles = join(dir, 'bundles');
    mkdirSync(this.bundles, { recursive: true });
    for (const f of files) {
      const to = join(this.rootfs, f.path);
      mkdirSync(dirname(to), { recursive: true, mode: 0o755 });
      copyFileSync(f.source, to);
      chmodSync(to, f.role === 'node' || f.role === 'shared library' ? 0o755 : 0o644);
    }
    // Mount points of the spec's /proc, /dev and /sys: a read-only root cannot have them made later.
    for (const d of ['proc', 'dev', 'sys']) mkdirSync(join(this.rootfs, d), { recursive: true, mode: 0o755 });
    this.template = specTemplate(join(dir, 'spec'), this.rootfs, runc);
  }

  /** The config of one container running `argv`. */
  configFor(argv: readonly string[]): RuntimeConfig {
    return { ...this.template, process: { ...this.template.process, args: [...argv] } };
  }

  /** Writes the bundle of container `id` (its config.json) and returns its directory. */
  writeBundle(id: string, argv: readonly string[]): string {
    const dir = join(this.bundles, id);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'config.json'), JSON.stringify(this.configFor(argv)));
    return dir;
  }

  /** Removes the bundle directory of container `id` (after `runc delete`). */
  removeBundle(id: string): void {
    rmSync(join(this.bundles, id), { recursive: true, force: true });
  }

  /** The template as a file (for the runc launcher of pipe workers, which makes its own bundles). */
  writeTemplate(): string {
    const file = join(this.dir, 'config.template.json');
    writeFileSync(file, JSON.stringify(this.template, null, 1));
    return file;
  }

  /** Where per-container bundles go. */
  get bundleDir(): string {
    return this.bundles;
  }
}

/** `runc spec` in a scratch directory, edited into the template (see the module comment). */
function specTemplate(scratch: string, rootfs: string, runc: string): RuntimeConfig {
  mkdirSync(scratch, { recursive: true });
  execFileSync(runc, ['spec', '--bundle', scratch], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 15_000 });
  const spec = JSON.parse(readFileSync(join(scratch, 'config.json'), 'utf8')) as RuntimeConfig;
  rmSync(scratch, { recursive: true, force: true });
  const none = { bounding: [], effective: [], permitted: [], ambient: [], inheritable: [] };
  const namespaces = spec.linux?.namespaces ?? [];
  // `runc spec` already unshares these; say so rather than trust a future default.
  for (const type of ['pid', 'network', 'ipc', 'uts', 'mount']) if (!namespaces.some((n) => n.type === type)) namespaces.push({ type });
  return {
    ...spec,
    process: {
      ...spec.process,
      terminal: false,
      user: { uid: SANDBOX_UID, gid: SANDBOX_UID },
      env: Object.entries(FILTER_PROCESS_ENV).map(([k, v]) => `${k}=${v}`),
      cwd: '/',
      capabilities: none,
      noNewPrivileges: true,
      args: [],
    },
    root: { path: rootfs, readonly: true },
    hostname: 'tessera',
    linux: { ...spec.linux, namespaces },
  };
}
