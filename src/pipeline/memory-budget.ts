/**
 * Admission by bytes: the pixel bytes decoded, filtered and waiting to be encoded at
 * once are bounded by one budget (`--memory`). An image (or a band of a big one) takes
 * its bytes before it is decoded and gives them back once encoded; when they are not
 * free it waits, first come first served, so a large request is not starved by small
 * ones behind it.
 */

/** Bytes taken from a {@link MemoryBudget}; give them back with `release()` (idempotent). */
export interface MemoryLease {
  readonly bytes: number;
  release(): void;
}

/** A byte budget shared by every image of a session. */
export class MemoryBudget {
  private used = 0;
  private peak = 0;
  private readonly waiting: Array<{ bytes: number; grant: () => void }> = [];

  constructor(readonly totalBytes: number) {}

  /** Bytes leased now. */
  get usedBytes(): number {
    return this.used;
  }

  /** Most bytes leased at once so far. */
  get peakBytes(): number {
    return this.peak;
  }

  /**
   * Takes `bytes`, waiting until they are free.
   * @throws RangeError if `bytes` exceeds the whole budget (callers plan requests that fit)
   */
  async acquire(bytes: number): Promise<MemoryLease> {
    if (bytes > this.totalBytes) throw new RangeError(`${bytes} bytes asked of a ${this.totalBytes}-byte budget`);
    if (this.waiting.length > 0 || this.used + bytes > this.totalBytes) {
      await new Promise<void>((grant) => this.waiting.push({ bytes, grant }));
    } else {
      this.take(bytes);
    }
    let released = false;
    return {
      bytes,
      release: () => {
        if (released) return;
        released = true;
        this.used -= bytes;
        this.grantWaiting();
      },
    };
  }

  private take(bytes: number): void {
    this.used += bytes;
    this.peak = Math.max(this.peak, this.used);
  }

  private grantWaiting(): void {
    while (this.waiting.length > 0 && this.used + this.waiting[0].bytes <= this.totalBytes) {
      const next = this.waiting.shift()!;
      this.take(next.bytes);
      next.grant();
    }
  }
}
