#!/usr/bin/env node
/**
 * A filter process: runs a filter's WASI command form under node:wasi with no
 * preopened directories. The WASM itself reads frames from fd 0 and writes to fd 1.
 *
 *   node wasi-process.js FILTER.wasi.wasm
 *       pipe mode: stdin/stdout are the frame streams (the `pipe` strategy's long-lived workers)
 *   node wasi-process.js FILTER.wasi.wasm --disk IN.png OUT.png --halo H --params p0,p1,p2,p3
 *       disk mode (the `disk` strategy, one process per tile): decode the tile PNG, write a
 *       request frame file, run the command with that file as stdin and a result file as
 *       stdout, encode the result as PNG
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { WASI } from 'node:wasi';
import { decodeResponseInto, encodeRequest } from './frame.js';

function runCommand(wasmPath: string, stdin: number, stdout: number): number {
  const wasi = new WASI({ version: 'preview1', args: [], env: {}, preopens: {}, stdin, stdout, stderr: 2, returnOnExit: true });
  const module = new WebAssembly.Module(readFileSync(wasmPath));
  const instance = new WebAssembly.Instance(module, wasi.getImportObject() as WebAssembly.Imports);
  return wasi.start(instance);
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
  process.exitCode = mode === '--disk' ? await diskMode(wasmPath, rest) : runCommand(wasmPath, 0, 1);
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exitCode = 70;
}
