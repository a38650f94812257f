#!/usr/bin/env node
/**
 * A filter process: runs a filter's WASI command form under node:wasi with no
 * preopened directories. The WASM itself reads frames from fd 0 and writes to fd 1.
 *
 *   node wasi-process.js FILTER.wasi.wasm
 *       pipe mode: stdin/stdout are the frame streams (the `pipe` strategy's long-lived workers).
 *       When the command exits 75 (it read an end-of-image frame), the next image gets a fresh
 *       instance: this process reads the parent's request byte from OS fd 3, writes it back
 *       there as the acknowledgement and starts a new instance on the same stdin. The filter
 *       cannot forge either byte: node:wasi maps only WASI fds 0/1/2 (no preopens), so OS fd 3
 *       is out of its reach; a command that exits 75 unasked waits here, until its tile's
 *       deadline or the end of the session.
 *   node wasi-process.js FILTER.wasi.wasm --disk IN.png OUT.png --halo H --params p0,p1,p2,p3
 *       disk mode (the `disk` strategy, one process per tile): decode the tile PNG, write a
 *       request frame file, run the command with that file as stdin and a result file as
 *       stdout, encode the result as PNG
 */
import { closeSync, openSync, readFileSync, readSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { WASI } from 'node:wasi';
import { END_OF_IMAGE_EXIT, decodeResponseInto, encodeRequest } from './frame.js';

/** OS fd of the pipe strategy's control channel: fresh-instance requests in, acknowledgements out. */
const CONTROL_FD = 3;

/** Runs one fresh instance of the command to its exit. A `WASI` object may be started only once: one per instance. */
function runInstance(module: WebAssembly.Module, stdin: number, stdout: number): number {
  const wasi = new WASI({ version: 'preview1', args: [], env: {}, preopens: {}, stdin, stdout, stderr: 2, returnOnExit: true });
  const instance = new WebAssembly.Instance(module, wasi.getImportObject() as WebAssembly.Imports);
  return wasi.start(instance);
}

function runCommand(wasmPath: string, stdin: number, stdout: number): number {
  return runInstance(new WebAssembly.Module(readFileSync(wasmPath)), stdin, stdout);
}

/** Pipe mode: serves frames on stdin/stdout, with a fresh instance after every end-of-image frame. */
function pipeMode(wasmPath: string): number {
  // node:wasi's fast API calls may start a GC from inside fd_read/fd_write (nodejs/node#46777):
  // a crash that one instance per process never met, and that hundreds of fresh instances in one
  // process do (a SIGSEGV after ~500–2000 of them on Node 20). The slow calls are GC-safe and cost
  // nothing measurable at a few calls per tile. Set before anything is compiled; a V8 that no longer
  // knows the flag ignores it.
  setFlagsFromString('--no-turbo-fast-api-calls');
  const module = new WebAssembly.Module(readFileSync(wasmPath));
  const byte = Buffer.alloc(1);
  for (;;) {
    const code = runInstance(module, 0, 1);
    if (code !== END_OF_IMAGE_EXIT) return code;
    // Blocking: the parent sent its request with the end-of-image frame. EOF: it is gone.
    if (readSync(CONTROL_FD, byte, 0, 1, null) !== 1) return 0;
    writeSync(CONTROL_FD, byte);
  }
}

async function diskMode(wasmPath: string, args: string[]): Promise<number> {
  const [inPng, outPng] = args;
  const halo = Number(args[args.indexOf('--halo') + 1]);
  const params = args[args.indexOf('--params') + 1].split(',').map(Number);
  const { sharp } = await import('../../io/sharp.js');
  const { data, info } = await sharp(inPng).raw().toBuffer({ resolveWithObject: true });
  const width = info.width - 2 * halo;
  const height = info.height - 2 * halo;
  const requestFile = `${inPng}.frame`;
  const responseFile = `${outPng}.frame`;
  writeFileSync(requestFile, encodeRequest(data, halo * info.width * 4 + halo * 4, info.width * 4, width, height, halo, params));
  const inFd = openSync(requestFile, 'r');
  const outFd = openSync(responseFile, 'w');
  let code: number;
  try {
    code = runCommand(wasmPath, inFd, outFd);
  } finally {
    closeSync(inFd);
    closeSync(outFd);
    unlinkSync(requestFile);
  }
  if (code !== 0) return code;
  const pixels = new Uint8Array(width * height * 4);
  decodeResponseInto(readFileSync(responseFile), width, height, pixels, 0, width * 4);
  unlinkSync(responseFile);
  await sharp(pixels, { raw: { width, height, channels: 4 } }).png({ compressionLevel: 6, adaptiveFiltering: false }).toFile(outPng);
  return 0;
}

const [wasmPath, mode, ...rest] = process.argv.slice(2);
try {
  process.exitCode = mode === '--disk' ? await diskMode(wasmPath, rest) : pipeMode(wasmPath);
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exitCode = 70;
}
