/**
 * A bubblewrap sandbox for one filter process: every namespace unshared (user, pid, network
 * with only lo, ipc, uts, cgroup, mount), an empty read-only root with read-only binds of exactly
 * the files the process needs (`filterProcessFiles`), a private /proc and a minimal /dev, no
 * capabilities, uid/gid 65534, a clean environment, and `--die-with-parent` so that the sandbox
 * never outlives whoever started it.
 */
import type { SandboxFile } from './filter-process-files.js';
import { FILTER_PROCESS_ENV } from './filter-process-files.js';

/** The unprivileged user and group inside the sandbox ("nobody"). */
export const SANDBOX_UID = 65534;

/**
 * `bwrap` and its arguments up to and including `--`: append the filter process's argv.
 * fds 0–3 are inherited as they are (bwrap closes none it was given), which the `pipe`
 * strategy's control channel on fd 3 relies on.
 */
export function bwrapCommand(files: readonly SandboxFile[], bwrap = 'bwrap'): string[] {
  const binds = files.flatMap((f) => ['--ro-bind', f.source, f.path]);
  const env = Object.entries(FILTER_PROCESS_ENV).flatMap(([k, v]) => ['--setenv', k, v]);
  return [
    bwrap,
    '--unshare-all',
    '--unshare-user',
    '--uid', String(SANDBOX_UID),
    '--gid', String(SANDBOX_UID),
    '--die-with-parent',
    '--new-session',
    '--cap-drop', 'ALL',
    '--clearenv',
    ...env,
    ...binds,
    '--proc', '/proc',
    '--dev', '/dev',
    // bwrap's root is a writable tmpfs; read-only like the container's.
    '--remount-ro', '/',
    '--chdir', '/',
    '--',
  ];
}
