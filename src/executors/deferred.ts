import type { TileTask, TileTimings } from '../strategies/types.js';
import type { TileExecutor } from './types.js';

/**
 * An executor whose module is imported when the session is created, not when tessera
 * starts: the queue client (BullMQ, ioredis) costs ~0.3 s to load and only
 * `--backend queue` needs it; the filter-process executors only `pipe` and `disk` do.
 */
export class DeferredExecutor implements TileExecutor {
  private readonly loading: Promise<TileExecutor>;

  constructor(
    readonly threads: number,
    load: () => Promise<TileExecutor>,
  ) {
    this.loading = load();
    // Reported by ready(), run() or close(), whichever comes first; never unhandled.
    this.loading.catch(() => {});
  }

  async ready(): Promise<void> {
    const executor = await this.loading;
    await executor.ready?.();
  }

  async run(task: TileTask): Promise<TileTimings> {
    return (await this.loading).run(task);
  }

  async close(): Promise<void> {
    let executor: TileExecutor;
    try {
      executor = await this.loading;
    } catch {
      return;
    }
    await executor.close();
  }
}
