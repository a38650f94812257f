/**
 * BullMQ, through its CommonJS build, and only the classes tessera uses. On Node 20
 * `require('bullmq')` took 185 ms against 272 ms for `import('bullmq')` (its ES-module build
 * through the ESM loader), the largest item of a queue coordinator's start-up; its index also
 * loads what tessera never uses (flows, repeatable jobs' cron parser, the Postgres backend):
 * requiring the classes themselves took 95 ms against 147. BullMQ 6 has no `exports` map, so
 * its files are reachable by path. Every module of tessera takes BullMQ from here, so one copy
 * is loaded and its error classes are the ones its workers check.
 */
import { createRequire } from 'node:module';
import type * as BullMQ from 'bullmq';

const require = createRequire(import.meta.url);

/** The class a coordinator needs. */
export const { Queue } = require('bullmq/dist/cjs/classes/queue.js') as Pick<typeof BullMQ, 'Queue'>;

/** What a worker needs besides; loaded on first use, so a coordinator never loads them. */
export function workerClasses(): Pick<typeof BullMQ, 'Worker' | 'UnrecoverableError'> {
  return {
    Worker: (require('bullmq/dist/cjs/classes/worker.js') as Pick<typeof BullMQ, 'Worker'>).Worker,
    UnrecoverableError: (require('bullmq/dist/cjs/classes/errors/unrecoverable-error.js') as Pick<typeof BullMQ, 'UnrecoverableError'>).UnrecoverableError,
  };
}
