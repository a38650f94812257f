/**
 * Authentication of jobs and results with a secret shared by a coordinator and its
 * workers (`--secret` / `TESSERA_SECRET`): HMAC-SHA256 over a job's fields and its source
 * bytes, and over a result's bytes bound to the job's MAC. Anyone who can write to Redis
 * can still delete or delay work (a denial of service), but can no longer make a worker
 * run a job the coordinator did not send, nor make the coordinator take pixels a worker
 * holding the secret did not compute from that job's bytes.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ErrorCode, TesseraError } from '../errors.js';

/** Bytes of a MAC (SHA-256). */
export const MAC_BYTES = 32;

/** Shortest secret accepted: 128 bits of hex, or more characters of anything. */
export const MIN_SECRET_LENGTH = 16;

/** Name of the environment variable holding the secret. */
export const SECRET_ENV = 'TESSERA_SECRET';

/**
 * The secret from a flag or the environment; undefined when neither gives one.
 * @throws TesseraError Usage for a secret too short to resist guessing
 */
export function resolveSecret(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const secret = flag ?? env[SECRET_ENV];
  if (secret === undefined || secret === '') return undefined;
  if (secret.length < MIN_SECRET_LENGTH) {
    throw new TesseraError(ErrorCode.Usage, `the shared secret must be at least ${MIN_SECRET_LENGTH} characters (e.g. openssl rand -hex 16); got ${secret.length}`);
  }
  return secret;
}

/** JSON with object keys sorted, so the same job signs the same after a round trip through Redis. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Signs and verifies jobs and results with one secret. */
export class JobSigner {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = Buffer.from(secret, 'utf8');
  }

  /** MAC (hex) of a job: every field but `mac`, and the tile's source bytes. */
  signJob(fields: object, source: Uint8Array): string {
    const { mac: _ignored, ...rest } = fields as { mac?: unknown };
    return createHmac('sha256', this.key).update('tessera job v1\0').update(canonical(rest)).update('\0').update(source).digest('hex');
  }

  /** True when `mac` is the MAC of this job and source. */
  verifyJob(fields: object & { mac?: string }, source: Uint8Array): boolean {
    if (typeof fields.mac !== 'string') return false;
    return safeEqual(Buffer.from(fields.mac, 'hex'), Buffer.from(this.signJob(fields, source), 'hex'));
  }

  /** MAC of a result: its bytes and what is reported with them, bound to the job they answer (whose MAC covers run, image and input). */
  signResult(jobMac: string, bytes: Uint8Array, report = ''): Buffer {
    return createHmac('sha256', this.key).update('tessera result v2\0').update(jobMac).update('\0').update(report).update('\0').update(bytes).digest();
  }

  /** Splits a stored result into bytes and MAC and checks the MAC; undefined when it fails. */
  openResult(jobMac: string, stored: Uint8Array, report = ''): Uint8Array | undefined {
    if (stored.length < MAC_BYTES) return undefined;
    const bytes = stored.subarray(0, stored.length - MAC_BYTES);
    const mac = stored.subarray(stored.length - MAC_BYTES);
    return safeEqual(mac, this.signResult(jobMac, bytes, report)) ? bytes : undefined;
  }
}

function safeEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
