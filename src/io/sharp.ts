/**
 * sharp, through its CommonJS build. sharp 0.35 ships an ES-module build too, but on
 * Node 20 loading that one through the ESM loader cost ~150 ms more per process
 * (measured: `import('sharp')` 0.40 s vs `require('sharp')` 0.22 s, whole process) —
 * the largest single item of `tessera run`'s start-up. Every module of tessera takes
 * sharp from here, so one copy is loaded.
 */
import { createRequire } from 'node:module';
import type SharpModule from 'sharp';

/** The sharp function (the default export of `import sharp from 'sharp'`). */
export const sharp = createRequire(import.meta.url)('sharp') as typeof SharpModule;
