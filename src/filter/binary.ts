/**
 * Just enough of the WebAssembly binary format to check what the JS API does not
 * expose: memory limits (and whether a memory is shared), where active data segments
 * write, and whether the module has a start function. All matter for safety: a segment
 * that lands above the statics area, or a start function (which may store anywhere),
 * would write over pixels in a shared memory at every instantiation.
 */

/** Limits of a memory, in 64 KiB pages. */
export interface MemoryLimits {
  initial: number;
  maximum: number | undefined;
  shared: boolean;
}

/** An active data segment with a constant offset (the only kind a filter may have). */
export interface DataSegment {
  offset: number;
  length: number;
}

/** One import, as the import section declares it. */
export interface WasmImport {
  module: string;
  name: string;
  kind: 'function' | 'table' | 'memory' | 'global' | 'tag';
}

/** What {@link inspectWasmBinary} found. */
export interface WasmBinaryInfo {
  /** Every import, in order. */
  imports: WasmImport[];
  importedMemory: MemoryLimits | undefined;
  definedMemory: MemoryLimits | undefined;
  dataSegments: DataSegment[];
  /** Segments whose offset is not a constant (e.g. a global): their placement cannot be checked. */
  dynamicDataSegments: number;
  /**
   * Index of the start function (the start section, id 8), which runs at every
   * instantiation before any export can be called; undefined when there is none.
   */
  startFunction: number | undefined;
}

class Reader {
  pos = 0;
  constructor(readonly bytes: Uint8Array, readonly end = bytes.length) {}
  byte(): number {
    if (this.pos >= this.end) throw new Error('unexpected end of module');
    return this.bytes[this.pos++];
  }
  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
      if (shift > 35) throw new Error('malformed LEB128');
    }
  }
  i32(): number {
    let result = 0;
    let shift = 0;
    let b: number;
    do {
      b = this.byte();
      result |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80 && shift < 35);
    if (shift < 32 && b & 0x40) result |= -1 << shift;
    return result;
  }
  skip(n: number): void {
    this.pos += n;
  }
  name(): string {
    const len = this.u32();
    const s = new TextDecoder().decode(this.bytes.subarray(this.pos, this.pos + len));
    this.pos += len;
    return s;
  }
  limits(): MemoryLimits {
    const flags = this.u32();
    const initial = this.u32();
    const maximum = flags & 1 ? this.u32() : undefined;
    return { initial, maximum, shared: (flags & 2) !== 0 };
  }
}

const IMPORT_KINDS = ['function', 'table', 'memory', 'global', 'tag'] as const;

function skipConstExpr(r: Reader): void {
  // Enough for the const expressions that may appear in import/global/data sections.
  for (;;) {
    const op = r.byte();
    if (op === 0x0b) return;
    if (op === 0x41) r.i32();
    else if (op === 0x42) while (r.byte() & 0x80);
    else if (op === 0x23) r.u32();
    else if (op === 0x43) r.skip(4);
    else if (op === 0x44) r.skip(8);
    else if (op === 0xd0) r.byte();
    else if (op === 0xd2) r.u32();
    else throw new Error(`unsupported opcode 0x${op.toString(16)} in a constant expression`);
  }
}

/**
 * Reads memory limits and data-segment placement from a module's bytes.
 * @throws Error when the bytes are not a WebAssembly binary.
 */
export function inspectWasmBinary(bytes: Uint8Array): WasmBinaryInfo {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new Error('not a WebAssembly module (missing \\0asm magic)');
  }
  const info: WasmBinaryInfo = { imports: [], importedMemory: undefined, definedMemory: undefined, dataSegments: [], dynamicDataSegments: 0, startFunction: undefined };
  const r = new Reader(bytes);
  r.pos = 8;
  while (r.pos < bytes.length) {
    const id = r.byte();
    const size = r.u32();
    const end = r.pos + size;
    if (id === 2) {
      const count = r.u32();
      for (let i = 0; i < count; i++) {
        const module = r.name();
        const name = r.name();
        const kind = r.byte();
        if (kind === 0) r.u32();
        else if (kind === 1) {
          r.byte();
          r.limits();
        } else if (kind === 2) info.importedMemory = r.limits();
        else if (kind === 3) {
          r.byte();
          r.byte();
        } else if (kind === 4) {
          r.byte();
          r.u32();
        } else throw new Error(`unknown import kind ${kind}`);
        info.imports.push({ module, name, kind: IMPORT_KINDS[kind] });
      }
    } else if (id === 5) {
      const count = r.u32();
      if (count > 0) info.definedMemory = r.limits();
    } else if (id === 8) {
      info.startFunction = r.u32();
    } else if (id === 11) {
      const count = r.u32();
      for (let i = 0; i < count; i++) {
        const flags = r.u32();
        if (flags === 1) {
          r.skip(r.u32()); // passive: written only by memory.init, which the filter controls
          continue;
        }
        if (flags === 2) r.u32();
        const op = r.byte();
        let offset: number | undefined;
        if (op === 0x41) {
          offset = r.i32() >>> 0;
          if (r.byte() !== 0x0b) throw new Error('malformed data segment offset');
        } else {
          r.pos--;
          skipConstExpr(r);
        }
        const length = r.u32();
        r.skip(length);
        if (offset === undefined) info.dynamicDataSegments++;
        else info.dataSegments.push({ offset, length });
      }
    }
    r.pos = end;
  }
  return info;
}

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** Returns `bytes` with a custom section `name` holding `payload` appended. */
export function appendCustomSection(bytes: Uint8Array, name: string, payload: Uint8Array): Uint8Array {
  const nameBytes = new TextEncoder().encode(name);
  const body = [...leb(nameBytes.length), ...nameBytes];
  const size = body.length + payload.length;
  const header = [0, ...leb(size), ...body];
  const out = new Uint8Array(bytes.length + header.length + payload.length);
  out.set(bytes, 0);
  out.set(header, bytes.length);
  out.set(payload, bytes.length + header.length);
  return out;
}
