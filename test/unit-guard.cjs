/**
 * Loaded by `node test/run.mjs unit` into every unit test process: a unit test that starts
 * a child process, a worker thread or a network connection fails at once, so it is moved
 * to test/integration/ rather than slowing the fast suite down.
 */
'use strict';
const childProcess = require('node:child_process');
const net = require('node:net');
const workerThreads = require('node:worker_threads');
const { syncBuiltinESMExports } = require('node:module');

const refuse = (what) => () => {
  throw new Error(`a unit test used ${what}: unit tests are pure (no child processes, threads or network); move it to test/integration/`);
};

// Only in the test files' processes (the test runner marks them), never in the runner that spawns them.
if (process.env.NODE_TEST_CONTEXT) {
  for (const name of ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork']) childProcess[name] = refuse(`child_process.${name}`);
  for (const name of ['connect', 'createConnection']) net[name] = refuse(`net.${name}`);
  workerThreads.Worker = class {
    constructor() {
      refuse('a worker thread')();
    }
  };
  syncBuiltinESMExports();
}
