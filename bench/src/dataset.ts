import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSynthDataset, synthDatasetSpec } from './dataset/synth.js';

/** Where the bench caches the inputs it generates (they are deterministic, so made once per machine). */
export const DATASET_CACHE = join(tmpdir(), 'tessera-datasets');

/**
 * The default benchmark input: the synthetic Kodak-shaped set, generated on first
 * use into a cache directory and reused (generation is deterministic).
 */
export async function defaultBenchDataset(seed = 1): Promise<string> {
  const dir = join(DATASET_CACHE, `kodak-synth-seed${seed}`);
  const spec = synthDatasetSpec();
  const have = existsSync(dir) ? new Set(readdirSync(dir)) : new Set<string>();
  if (!spec.every((s) => have.has(s.name))) await generateSynthDataset({ outDir: dir, seed });
  return dir;
}
