import { realpathSync, statSync, readdirSync, mkdirSync } from 'node:fs';
import { lstat, readlink, realpath } from 'node:fs/promises';
import { basename, dirname, extname, join, relative, resolve, isAbsolute } from 'node:path';
import { ErrorCode, TesseraError } from '../errors.js';
import { IMAGE_EXTENSIONS } from './formats.js';

/** True for names with an image extension (.png, .jpg, .jpeg, .webp; any case). */
export function hasImageExtension(name: string): boolean {
  return IMAGE_EXTENSIONS.includes(extname(name).toLowerCase());
}

/**
 * The image files an input path names: the file itself, or a directory's entries with
 * image extensions (not recursive), sorted. Entries that are not regular files are kept
 * so the run reports them by name instead of silently skipping them.
 * @throws TesseraError Input when the path is missing or the directory holds no images
 */
export function listInputs(input: string): { files: string[]; root: string; rootIsDirectory: boolean } {
  const path = resolve(input);
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) throw new TesseraError(ErrorCode.Input, `input ${path} does not exist`);
  if (!stat.isDirectory()) return { files: [path], root: dirname(path), rootIsDirectory: false };
  const files = readdirSync(path)
    .filter(hasImageExtension)
    .sort()
    .map((f) => join(path, f));
  if (files.length === 0) {
    throw new TesseraError(ErrorCode.Input, `input directory ${path} holds no images (${IMAGE_EXTENSIONS.join(', ')})`);
  }
  return { files, root: path, rootIsDirectory: true };
}

/** True when `child` is `parent` or lies below it (compare resolved or real paths). */
export function isInside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

function realpathOrResolve(path: string): string {
  // The output directory may not exist yet: resolve its nearest existing ancestor.
  let p = resolve(path);
  const rest: string[] = [];
  for (;;) {
    try {
      return join(realpathSync(p), ...rest.reverse());
    } catch {
      const parent = dirname(p);
      if (parent === p) return resolve(path);
      rest.push(basename(p));
      p = parent;
    }
  }
}

/**
 * Checks and creates the output directory. Outputs keep their input's file name, so it
 * must not be the input's directory; for a directory of inputs not inside it either (a
 * later run over that directory would mix outputs with inputs). A single input file may
 * be written to a folder beside it (`--input photo.png --output out`).
 * @param inputRoot the input directory, or the directory of a single input file
 * @param rootIsDirectory false when the input was a single file
 * @param renamed outputs are named unlike their inputs (a `--name` pattern): the input directory is allowed
 * @throws TesseraError Output
 */
export function prepareOutputDir(output: string, inputRoot: string, rootIsDirectory = true, renamed = false): string {
  const out = realpathOrResolve(output);
  const root = realpathOrResolve(inputRoot);
  // Outputs named unlike their inputs (`--name`, `--suffix`) may sit beside them; writing onto an input is refused per image.
  if (!renamed && (rootIsDirectory ? isInside(out, root) : out === root)) {
    throw new TesseraError(
      ErrorCode.Output,
      `output directory ${out} is ${out === root ? 'the input directory' : 'inside the input directory ' + root}; outputs keep their input's name and would overwrite or mix with the inputs — choose another --output`,
    );
  }
  const stat = statSync(out, { throwIfNoEntry: false });
  if (stat && !stat.isDirectory()) throw new TesseraError(ErrorCode.Output, `output ${out} exists and is not a directory`);
  try {
    mkdirSync(out, { recursive: true });
  } catch (err) {
    throw new TesseraError(ErrorCode.Output, `cannot create output directory ${out} (${(err as NodeJS.ErrnoException).code})`);
  }
  return out;
}

/**
 * The link policy for inputs: a symbolic link is read only when `follow` is set
 * (`--follow-symlinks`); otherwise the file fails with a line saying so. Links are where
 * "inputs are never written" breaks: `in/a.png → ../keep/a.png` with `--output keep`
 * would have an output overwrite the very file it was read from.
 * @returns the input's real path (for {@link guardOutput})
 * @throws TesseraError Image naming the file and where it points
 */
export async function checkInputLink(file: string, follow: boolean): Promise<string> {
  const st = await lstat(file).catch(() => undefined);
  if (st?.isSymbolicLink() && !follow) {
    const target = await readlink(file).catch(() => '?');
    throw new TesseraError(ErrorCode.Image, `${file}: is a symbolic link (to ${target}); tessera reads links only with --follow-symlinks`);
  }
  return realpath(file).catch(() => resolve(file));
}

/**
 * Refuses to write `out` when it is — through links — one of the run's inputs.
 * @param inputs real paths of the run's inputs
 * @throws TesseraError Output naming both
 */
export async function guardOutput(out: string, file: string, inputs: ReadonlySet<string>): Promise<void> {
  const real = await realpath(out).catch(() => undefined);
  if (real !== undefined && inputs.has(real)) {
    throw new TesseraError(ErrorCode.Output, `${file}: its output ${out} is an input of this run (${real}, through a link); not overwritten — choose another --output`);
  }
}
