#!/usr/bin/env node
/**
 * Runs its arguments as the process of a fresh runc container, for the `pipe` strategy's
 * launcher hook (`setFilterProcessLauncher`): one long-lived container per pipe worker.
 *
 *   node runc-launcher.js --runc PATH --template CONFIG.json --bundles DIR --id-prefix PREFIX -- ARGV…
 *
 * The container is `PREFIX<this pid>`, its bundle DIR/<id>/config.json: the template with
 * `process.args` = ARGV (its `root.path` names the shared read-only rootfs). `runc run` in the
 * foreground without a terminal hands the container this process's stdin, stdout and stderr
 * themselves (runc's "pass-through" mode), and `--preserve-fds 1` fd 3 too — the pipe
 * strategy's control channel — so no byte of a tile passes through this process. SIGINT,
 * SIGTERM and SIGHUP are passed on to runc, which passes them to the container. When runc
 * exits, the container is deleted (`runc delete --force`), its bundle removed, and this process
 * exits with the container's status. A SIGKILL here leaves the container to the bench's own
 * teardown, which deletes every container of its ID prefix.
 */
import { spawn, spawnSync } from 'node:child_process';
import { fstatSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';

function option(args: string[], name: string): string {
  const i = args.indexOf(name);
  if (i < 0 || i + 1 >= args.length) throw new Error(`runc-launcher: missing ${name}`);
  return args[i + 1];
}

function hasFd(fd: number): boolean {
  try {
    fstatSync(fd);
    return true;
  } catch {
    return false;
  }
}

function main(): void {
  const all = process.argv.slice(2);
  const split = all.indexOf('--');
  if (split < 0 || split === all.length - 1) throw new Error('runc-launcher: no command after --');
  const own = all.slice(0, split);
  const argv = all.slice(split + 1);
  const runc = option(own, '--runc');
  const template = JSON.parse(readFileSync(option(own, '--template'), 'utf8')) as { process: { args: string[] } };
  const id = `${option(own, '--id-prefix')}${process.pid}`;
  const bundle = join(option(own, '--bundles'), id);
  mkdirSync(bundle, { recursive: true });
  writeFileSync(join(bundle, 'config.json'), JSON.stringify({ ...template, process: { ...template.process, args: argv } }));
  const fd3 = hasFd(3);
  const child = spawn(runc, ['run', ...(fd3 ? ['--preserve-fds', '1'] : []), '--bundle', bundle, id], { stdio: [0, 1, 2, fd3 ? 3 : 'ignore'] });
  const cleanUp = () => {
    spawnSync(runc, ['delete', '--force', id], { stdio: 'ignore', timeout: 15_000 });
    rmSync(bundle, { recursive: true, force: true });
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => child.kill(signal));
  child.on('error', (err) => {
    process.stderr.write(`runc-launcher: cannot start ${runc}: ${err.message}\n`);
    cleanUp();
    process.exit(127);
  });
  child.on('exit', (code, signal) => {
    cleanUp();
    process.exit(code ?? 128 + (signal ? constants.signals[signal] : 0));
  });
}

try {
  main();
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(2);
}
