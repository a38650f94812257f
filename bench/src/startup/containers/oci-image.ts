/**
 * The container's root filesystem packed as an OCI image, to weigh what a container deployment
 * ships: an image layout (`oci-layout`, `index.json`, `blobs/sha256/…`) with one layer — a
 * reproducible gzip'd tar of the rootfs (sorted, mtime 0, owner 0) — an image config (entrypoint,
 * user, env, the layer's diff_id) and a manifest, all packed in one tar: an "oci-archive" as
 * skopeo and podman read it. The layer is already compressed, so the archive is not gzip'd again.
 */
import { spawn, execFileSync } from 'node:child_process';
import { createHash, type Hash } from 'node:crypto';
import { createWriteStream, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { OciBundle } from './oci-bundle.js';

/** Counts and hashes the bytes passing through. */
class Digest extends Transform {
  bytes = 0;
  private readonly hash: Hash = createHash('sha256');
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    this.hash.update(chunk);
    done(null, chunk);
  }
  get digest(): string {
    return `sha256:${this.hash.copy().digest('hex')}`;
  }
}

/** What {@link packOciArchive} wrote. */
export interface OciArchive {
  file: string;
  bytes: number;
  layerBytes: number;
  layerTarBytes: number;
  contents: string;
}

const OCI_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' };

/** Tar flags that make the same files give the same bytes. */
const REPRODUCIBLE = ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner'];

function writeBlob(blobs: string, json: unknown): { digest: string; size: number } {
  const bytes = Buffer.from(JSON.stringify(json));
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  writeFileSync(join(blobs, digest.slice(7)), bytes);
  return { digest, size: bytes.length };
}

/**
 * Packs `bundle`'s rootfs as an OCI image archive at `file`, the image's entrypoint `argv`.
 * @param tar GNU tar
 */
export async function packOciArchive(bundle: OciBundle, argv: readonly string[], file: string, tar = 'tar'): Promise<OciArchive> {
  const layout = join(bundle.dir, 'oci-layout');
  const blobs = join(layout, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const diff = new Digest();
  const compressed = new Digest();
  const partial = join(blobs, 'layer.partial');
  const child = spawn(tar, [...REPRODUCIBLE, '-C', bundle.rootfs, '-cf', '-', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number>((resolve, reject) => {
    child.on('error', (err) => reject(new Error(`cannot run ${tar} to pack the image layer: ${err.message}\nPossible solutions:\n  apt-get install tar`)));
    child.on('close', (code) => resolve(code ?? 1));
  });
  // Docker and containerd compress layers at gzip's default level.
  await pipeline(child.stdout, diff, createGzip({ level: 6 }), compressed, createWriteStream(partial));
  if ((await exited) !== 0) throw new Error(`${tar} failed to pack ${bundle.rootfs}: ${stderr.trim()}`);
  renameSync(partial, join(blobs, compressed.digest.slice(7)));
  const { process: proc } = bundle.template;
  const config = writeBlob(blobs, {
    created: '1970-01-01T00:00:00Z',
    architecture: OCI_ARCH[process.arch] ?? process.arch,
    os: 'linux',
    config: { User: `${proc.user.uid}:${proc.user.gid}`, Env: proc.env, Entrypoint: [...argv], WorkingDir: proc.cwd },
    rootfs: { type: 'layers', diff_ids: [diff.digest] },
    history: [{ created: '1970-01-01T00:00:00Z', created_by: 'tessera bench startup: Node, its shared libraries, the filter-process script and the filter' }],
  });
  const manifest = writeBlob(blobs, {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: compressed.digest, size: compressed.bytes }],
  });
  writeFileSync(join(layout, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'org.opencontainers.image.ref.name': 'tessera-filter' } }] }));
  writeFileSync(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  execFileSync(tar, [...REPRODUCIBLE, '-C', layout, '-cf', file, 'oci-layout', 'index.json', 'blobs'], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 120_000 });
  return {
    file,
    bytes: statSync(file).size,
    layerBytes: compressed.bytes,
    layerTarBytes: diff.bytes,
    contents: `an OCI image layout in one tar (oci-archive): oci-layout, index.json, the manifest (${manifest.size} B), the image config (${config.size} B: entrypoint, user 65534, PATH, the layer's diff_id) and one layer — the rootfs as a gzip'd tar (level 6, as Docker writes layers)`,
  };
}
