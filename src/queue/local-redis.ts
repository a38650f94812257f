/**
 * A throw-away `redis-server` on a free loopback port, without persistence: what the
 * tests and `tessera bench --backends queue` use when no --redis is given.
 */
import { ErrorCode, TesseraError } from '../errors.js';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** A running local Redis. */
export interface LocalRedis {
  url: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Path of redis-server, or undefined when it is not installed. */
export function findRedisServer(): string | undefined {
  const r = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  const path = r.stdout.trim();
  return r.status === 0 && path ? path : undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Options of {@link startLocalRedis}. */
export interface LocalRedisOptions {
  /** Port to listen on (e.g. to restart a server where its clients expect it). @defaultValue a free one */
  port?: number;
  /** More redis-server arguments (ACL users, TLS files…). */
  args?: string[];
  /** Serve TLS on the port (needs `--tls-cert-file`, `--tls-key-file` in `args`): the URL is `rediss://`. */
  tls?: boolean;
}

/**
 * Starts redis-server on 127.0.0.1 and a free port; resolves once it accepts connections.
 * @throws Error when redis-server is missing or does not start within 5 s
 */
export async function startLocalRedis(options: LocalRedisOptions = {}): Promise<LocalRedis> {
  const bin = findRedisServer();
  if (!bin) throw new TesseraError(ErrorCode.MissingTool, 'redis-server is not installed. Possible solutions:\n- apt-get install redis-server\n- pass --redis redis://HOST:PORT of a running server');
  for (let attempt = 0; ; attempt++) {
    const port = options.port ?? (await freePort());
    const listen = options.tls ? ['--port', '0', '--tls-port', String(port)] : ['--port', String(port)];
    const child = spawn(bin, [...listen, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes', ...(options.args ?? [])], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const ready = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 5_000);
      const onData = (d: Buffer) => {
        out += d.toString();
        if (/Ready to accept connections/i.test(out)) {
          clearTimeout(timer);
          resolve(true);
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
    if (ready) {
      child.stdout!.resume();
      child.stderr!.resume();
      const stop = () =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        });
      return { url: `${options.tls ? 'rediss' : 'redis'}://127.0.0.1:${port}`, port, process: child, stop };
    }
    child.kill('SIGKILL');
    if (attempt >= 2 || options.port !== undefined) throw new Error(`redis-server did not start: ${out.trim().slice(-500)}`);
  }
}
