/**
 * BullMQ, through its CommonJS build: on Node 20 `require('bullmq')` took 185 ms against
 * 272 ms for `import('bullmq')` (its ES-module build through the ESM loader), the largest
 * item of a queue coordinator's start-up. Every module of tessera takes BullMQ from here,
 * so one copy is loaded and its error classes are the ones its workers check.
 */
import { createRequire } from 'node:module';
import type * as BullMQ from 'bullmq';

const bullmq = createRequire(import.meta.url)('bullmq') as typeof BullMQ;

export const { Queue, Worker, UnrecoverableError } = bullmq;
