import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSynthDataset, synthDatasetSpec } from './dataset/synth.js';

/**
 * The default benchmark input: the synthetic Kodak-shaped set, generated on first
 * use into a cache directory and reused (generation is deterministic).
 */
export async function defaultBenchDataset(seed = 1): Promise<string> {
  const dir = join(tmpdir(), 'tessera-datasets', `kodak-synth-seed${seed}`);
  const spec = synthDatasetSpec();
  const have = existsSync(dir) ? new Set(readdirSync(dir)) : new Set<string>();
  if (!spec.every((s) => have.has(s.name))) await generateSynthDataset({ outDir: dir, seed });
  return dir;
}
