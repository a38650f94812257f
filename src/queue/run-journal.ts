/**
 * A run's journal in its output directory (`.tessera-run`): which images a run of this
 * exact job (filter bytes, params, tiling) has finished. A coordinator killed mid-run and
 * started again with the same command skips what the journal and the output directory both
 * say is done, instead of redoing it. The journal is removed when a run finishes with every
 * image written, so running a finished command again does the work again.
 */
import { createHash } from 'node:crypto';
import { appendFile, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** File name of the journal inside the output directory. */
export const JOURNAL_NAME = '.tessera-run';

/** What a run's outputs depend on: two runs with the same fingerprint write the same bytes. */
export function runFingerprint(parts: object): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/** The journal of one output directory. */
export class RunJournal {
  private constructor(
    private readonly file: string,
    private readonly done: Set<string>,
  ) {}

  /** Opens the journal of `outDir`, keeping what an earlier run with the same fingerprint finished; starts a new one otherwise. */
  static async open(outDir: string, fingerprint: string): Promise<RunJournal> {
    const file = join(outDir, JOURNAL_NAME);
    const text = await readFile(file, 'utf8').catch(() => '');
    const [head, ...lines] = text.split('\n');
    if (head === fingerprint) {
      const names = lines.flatMap((l) => {
        try {
          return [JSON.parse(l) as string];
        } catch {
          return []; // a line cut short by a kill
        }
      });
      return new RunJournal(file, new Set(names));
    }
    await writeFile(file, `${fingerprint}\n`);
    return new RunJournal(file, new Set());
  }

  /** True when an earlier run of this job finished `name` and its output is still there. */
  async finished(name: string, output: string): Promise<boolean> {
    return this.done.has(name) && (await stat(output).then((s) => s.isFile(), () => false));
  }

  /** Records that `name` is written. */
  async record(name: string): Promise<void> {
    this.done.add(name);
    await appendFile(this.file, `${JSON.stringify(name)}\n`);
  }

  /** Ends the run: with every image written the journal goes (a later run starts afresh). */
  async close(everyImageWritten: boolean): Promise<void> {
    if (everyImageWritten) await rm(this.file, { force: true });
  }
}
