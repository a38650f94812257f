/**
 * sharp, through its CommonJS build, loaded on first use. sharp 0.35 ships an ES-module
 * build too, but on Node 20 loading that one through the ESM loader cost ~150 ms more per
 * process (measured: `import('sharp')` 0.40 s vs `require('sharp')` 0.22 s, whole process)
 * — the largest single item of `tessera run`'s start-up. Loading it on first use spares the
 * ~0.1 s of CPU entirely in a process that never decodes (a queue coordinator). Every
 * module of tessera takes sharp from here, so one copy is loaded.
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import type SharpModule from 'sharp';
import { usableCpus } from '../pipeline/cpu-count.js';

let loaded: typeof SharpModule | undefined;

function load(): typeof SharpModule {
  if (!loaded) {
    loaded = createRequire(import.meta.url)('sharp') as typeof SharpModule;
    // libvips sizes its thread pool from the cores; under a cgroup quota, from the quota.
    if (usableCpus() < availableParallelism()) loaded.concurrency(usableCpus());
  }
  return loaded;
}

/** The sharp function (the default export of `import sharp from 'sharp'`), and its statics. */
export const sharp = new Proxy(function sharpNotLoaded() {} as unknown as typeof SharpModule, {
  apply: (_target, _this, args: unknown[]) => (load() as unknown as (...a: unknown[]) => unknown)(...args),
  get: (_target, property) => (load() as unknown as Record<PropertyKey, unknown>)[property],
});
