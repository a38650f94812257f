/**
 * The cluster bench's files: the input directory (the data set repeated, as hard links or
 * copies), counting the outputs that have appeared (for "mid-run"), and the pixel check of
 * every run's outputs against the one-machine baseline, decoded with sharp.
 */
import { copyFileSync, linkSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';

const IMAGE = /\.(png|jpe?g|webp)$/i;

/**
 * Fills `dest` with `count` images taken in turn from `source` (sorted by name, images only):
 * the first pass keeps the names, later passes are prefixed `r2-`, `r3-`, … Hard links where the
 * file system allows, else copies. Returns the file names.
 */
export function prepareInputs(source: string, count: number, dest: string): { names: string[]; linked: boolean; sourceCount: number } {
  const files = readdirSync(source)
    .filter((n) => IMAGE.test(n) && statSync(join(source, n)).isFile())
    .sort();
  if (!files.length) throw new Error(`no images in ${source}`);
  const names: string[] = [];
  let linked = true;
  for (let i = 0; i < count; i++) {
    const from = files[i % files.length];
    const pass = Math.floor(i / files.length);
    const name = pass === 0 ? from : `r${pass + 1}-${from}`;
    const target = join(dest, name);
    try {
      if (!linked) throw new Error('copy');
      linkSync(join(source, from), target);
    } catch {
      linked = false;
      copyFileSync(join(source, from), target);
    }
    names.push(name);
  }
  return { names, linked, sourceCount: files.length };
}

/** How many of `names` exist in `dir` (outputs appear whole: written under a temporary name, then renamed). */
export function countOutputs(dir: string, names: ReadonlySet<string>): number {
  try {
    return readdirSync(dir).filter((n) => names.has(n)).length;
  } catch {
    return 0;
  }
}

/** Files in `dir` that are not one of the expected outputs (a killed run's temporary files, say). */
export function strayFiles(dir: string, names: ReadonlySet<string>): string[] {
  try {
    return readdirSync(dir).filter((n) => !names.has(n));
  } catch {
    return [];
  }
}

/** A decoded output: RGBA8 whatever its file's channel layout (a gray output is expanded), with its size. */
export interface Pixels {
  width: number;
  height: number;
  data: Buffer;
}

async function decode(file: string): Promise<Pixels> {
  const { data, info } = await sharp(file).toColourspace('srgb').ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data };
}

/** Decodes the outputs named `names` in `dir` (4 at a time); a missing or undecodable one maps to its error. */
export async function decodeOutputs(dir: string, names: readonly string[]): Promise<Map<string, Pixels | Error>> {
  const out = new Map<string, Pixels | Error>();
  let next = 0;
  const lane = async () => {
    while (next < names.length) {
      const name = names[next++];
      try {
        out.set(name, await decode(join(dir, name)));
      } catch (err) {
        out.set(name, err as Error);
      }
    }
  };
  await Promise.all(Array.from({ length: 4 }, lane));
  return out;
}

/** The outcome of a pixel check. */
export interface Verification {
  verified: boolean;
  /** Outputs compared equal. */
  equal: number;
  /** The first few problems, one line each: a missing output, another size, the first differing pixel. */
  problems: string[];
}

/** Compares every expected output, pixel by pixel. */
export function compareOutputs(actual: Map<string, Pixels | Error>, expected: Map<string, Pixels | Error>, names: readonly string[]): Verification {
  const problems: string[] = [];
  let equal = 0;
  for (const name of names) {
    const a = actual.get(name);
    const e = expected.get(name);
    if (!(e && !(e instanceof Error))) {
      problems.push(`${name}: the baseline has no output to compare with`);
    } else if (!a || a instanceof Error) {
      problems.push(`${name}: ${a ? `cannot decode the output (${a.message.split('\n')[0]})` : 'no output'}`);
    } else if (a.width !== e.width || a.height !== e.height) {
      problems.push(`${name}: ${a.width}×${a.height}, the baseline's is ${e.width}×${e.height}`);
    } else if (!a.data.equals(e.data)) {
      let i = 0;
      while (i < a.data.length && a.data[i] === e.data[i]) i++;
      const px = Math.floor(i / 4);
      problems.push(`${name}: pixel (${px % a.width}, ${Math.floor(px / a.width)}) channel ${i % 4} is ${a.data[i]}, the baseline's ${e.data[i]}`);
    } else {
      equal++;
    }
  }
  return { verified: problems.length === 0, equal, problems: problems.slice(0, 5).concat(problems.length > 5 ? [`… and ${problems.length - 5} more`] : []) };
}

/** Decodes `dir`'s outputs and compares them with the baseline's. */
export async function verifyOutputs(dir: string, names: readonly string[], expected: Map<string, Pixels | Error>): Promise<Verification> {
  return compareOutputs(await decodeOutputs(dir, names), expected, names);
}
