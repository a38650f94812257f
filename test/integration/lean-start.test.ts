/**
 * Start-up is the first thing a user times: each command loads only what it uses. These
 * tests record every module a `tessera` process loads (ES modules through a resolve hook,
 * CommonJS through Module._load) and check that the heavy ones stay out.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';
import { writeRandomPng } from '../helpers/image-files.js';

/** Written into a temp dir: an ESM resolve hook and a CommonJS load hook appending to TRACE_FILE. */
const HOOKS = `
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(process.env.TRACE_FILE, r.url + '\\n');
  return r;
}`;
const REGISTER = `
import { register, createRequire } from 'node:module';
import { appendFileSync } from 'node:fs';
register('./hooks.mjs', import.meta.url);
const Module = createRequire(import.meta.url)('node:module');
const load = Module._load;
Module._load = function (request, parent, isMain) {
  try { appendFileSync(process.env.TRACE_FILE, Module._resolveFilename(request, parent, isMain) + '\\n'); } catch {}
  return load.apply(this, arguments);
};`;

/** Packages and folders only measurement or the queue need. */
const HEAVY = /[/\\](bullmq|ioredis|vega|vega-lite|jimp|@jimp|@silvia-odwyer|wasm-vips|playwright-core|fast-check|wabt)[/\\]|[/\\]bench[/\\]dist[/\\]|[/\\]dist[/\\]src[/\\]queue[/\\]/;

describe('each command loads only what it uses', () => {
  const tmp = tempDir('tessera-lean-');
  let image: string;
  before(async () => {
    writeFileSync(join(tmp.dir, 'hooks.mjs'), HOOKS);
    writeFileSync(join(tmp.dir, 'register.mjs'), REGISTER);
    image = join(tmp.dir, 'in.png');
    await writeRandomPng(image, 96, 64, 3);
  });
  after(tmp.cleanup);

  let n = 0;
  async function modulesOf(args: string[]): Promise<string[]> {
    const trace = join(tmp.dir, `trace-${n++}.txt`);
    writeFileSync(trace, '');
    const r = await runCli(args, {
      env: { ...process.env, TRACE_FILE: trace, NODE_OPTIONS: `--import ${join(tmp.dir, 'register.mjs')}` },
    });
    assert.equal(r.code, 0, r.stderr);
    return [...new Set(readFileSync(trace, 'utf8').split('\n').filter(Boolean))];
  }

  test('`tessera --help` loads commander and nothing heavy: no sharp, no thread pool, no filters', async () => {
    const loaded = await modulesOf(['--help']);
    assert.ok(loaded.some((m) => /commander/.test(m)), 'the trace works');
    const heavy = loaded.filter((m) => HEAVY.test(m) || /[/\\](sharp|@img|piscina)[/\\]|[/\\]dist[/\\]src[/\\](io|filter|strategies|executors|pipeline[/\\]session)/.test(m));
    assert.deepEqual(heavy, []);
  });

  test('`tessera run` loads sharp, piscina and the filters, never the bench, the report, the peers or the queue client', async () => {
    const loaded = await modulesOf(['run', '--filter', 'gaussian-blur', '--input', image, '--output', join(tmp.dir, 'out'), '--no-progress']);
    assert.ok(loaded.some((m) => /[/\\]sharp[/\\]/.test(m)), 'sharp is traced');
    assert.ok(loaded.some((m) => /[/\\]strategies[/\\]shared\.js$/.test(m)), 'the strategy is traced');
    assert.deepEqual(loaded.filter((m) => HEAVY.test(m) || /[/\\]strategies[/\\]process[/\\]/.test(m)), []);
  });

  test('`tessera filters` lists without the queue or the bench', async () => {
    const loaded = await modulesOf(['filters']);
    assert.deepEqual(loaded.filter((m) => HEAVY.test(m)), []);
  });
});
