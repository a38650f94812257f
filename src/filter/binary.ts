/**
 * Just enough of the WebAssembly binary format to check what the JS API does not
 * expose: memory limits (and whether a memory is shared), where active data segments
 * write, whether the module has a start function, and its globals with their names and
 * exports (for the shadow stack, see shadow-stack.ts). All matter for safety: a segment
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

/** A global the module defines (imported globals are not listed, but count in the index space). */
export interface WasmGlobal {
  /** Index in the module's global index space (imported globals first). */
  index: number;
  /** Value type: `i32`, `i64`, `f32`, `f64`, `v128` or `ref`. */
  type: string;
  mutable: boolean;
  /** The initial value when it is an `i32.const` (a compiler's stack pointer starts so). */
  initialI32: number | undefined;
}

/** One export, with the index of what it exports in its index space. */
export interface WasmExport {
  name: string;
  kind: WasmImport['kind'];
  index: number;
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
  /** Imported globals, which come first in the global index space. */
  importedGlobals: number;
  /** Globals the module defines, in index order. */
  globals: WasmGlobal[];
  exports: WasmExport[];
  /** Names the `name` custom section gives globals (subsection 7), by index; empty when stripped. */
  globalNames: Map<number, string>;
  /** Names the `name` custom section gives functions (subsection 1), by index; empty when stripped. */
  functionNames: Map<number, string>;
  /** Byte range of the code section's contents (the function bodies), undefined without code. */
  code: { start: number; end: number } | undefined;
}

/** A cursor over a module's bytes, reading the binary format's integers and names. */
export class Reader {
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
  /** Skips a LEB128 of any width (i64 and s33 immediates). */
  skipLeb(): void {
    while (this.byte() & 0x80);
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

const VALUE_TYPES: Record<number, string> = { 0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64', 0x7b: 'v128' };

/** Reads a value type; reference types with a heap type (0x63, 0x64) carry one more immediate. */
export function readValueType(r: Reader): string {
  const t = r.byte();
  if (t === 0x63 || t === 0x64) r.skipLeb();
  return VALUE_TYPES[t] ?? 'ref';
}

/** The `name` section's function and global names (subsections 1 and 7); a malformed section yields what was read. */
function readNames(r: Reader, end: number, info: WasmBinaryInfo): void {
  try {
    while (r.pos < end) {
      const id = r.byte();
      const size = r.u32();
      const next = r.pos + size;
      const into = id === 1 ? info.functionNames : id === 7 ? info.globalNames : undefined;
      if (into) {
        const count = r.u32();
        for (let i = 0; i < count; i++) {
          const index = r.u32();
          into.set(index, r.name());
        }
      }
      r.pos = next;
    }
  } catch {
    // Names are a debugging aid: a module with broken ones is judged without them.
  }
}

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
    else if (op === 0xfd && r.u32() === 12) r.skip(16); // v128.const
    else if ((op >= 0x6a && op <= 0x6c) || (op >= 0x7c && op <= 0x7e)) continue; // extended constants: add, sub, mul
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
  const info: WasmBinaryInfo = {
    imports: [], importedMemory: undefined, definedMemory: undefined, dataSegments: [], dynamicDataSegments: 0, startFunction: undefined,
    importedGlobals: 0, globals: [], exports: [], globalNames: new Map(), functionNames: new Map(), code: undefined,
  };
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
          readValueType(r);
          r.byte();
          info.importedGlobals++;
        } else if (kind === 4) {
          r.byte();
          r.u32();
        } else throw new Error(`unknown import kind ${kind}`);
        info.imports.push({ module, name, kind: IMPORT_KINDS[kind] });
      }
    } else if (id === 5) {
      const count = r.u32();
      if (count > 0) info.definedMemory = r.limits();
    } else if (id === 0) {
      if (r.name() === 'name') readNames(r, end, info);
    } else if (id === 6) {
      const count = r.u32();
      for (let i = 0; i < count; i++) {
        const type = readValueType(r);
        const mutable = r.byte() === 1;
        const init = r.pos;
        let initialI32: number | undefined;
        if (type === 'i32' && r.byte() === 0x41) {
          initialI32 = r.i32();
          if (r.byte() !== 0x0b) initialI32 = undefined; // an extended constant expression
        }
        if (initialI32 === undefined) {
          r.pos = init;
          skipConstExpr(r);
        }
        info.globals.push({ index: info.importedGlobals + i, type, mutable, initialI32 });
      }
    } else if (id === 7) {
      const count = r.u32();
      for (let i = 0; i < count; i++) {
        const name = r.name();
        const kind = IMPORT_KINDS[r.byte()] ?? 'function';
        info.exports.push({ name, kind, index: r.u32() });
      }
    } else if (id === 8) {
      info.startFunction = r.u32();
    } else if (id === 10) {
      info.code = { start: r.pos, end };
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

function limitsBytes(limits: MemoryLimits): number[] {
  const flags = (limits.maximum !== undefined ? 1 : 0) | (limits.shared ? 2 : 0);
  return [flags, ...leb(limits.initial), ...(limits.maximum !== undefined ? leb(limits.maximum) : [])];
}

/**
 * Returns `bytes` with its `env.memory` import turned into a shared memory of at most
 * `maximumPages` pages (a shared memory must declare a maximum) — how a module linked
 * against a plain imported memory becomes its own shared form, with its data segments
 * still active (rewritten at every instantiation) and no start function added, where
 * `wasm-ld --shared-memory` would make them passive behind a start function.
 * @throws Error when the module does not import `env.memory`
 */
export function withSharedMemoryImport(bytes: Uint8Array, maximumPages: number): Uint8Array {
  const r = new Reader(bytes);
  r.pos = 8;
  while (r.pos < bytes.length) {
    const sectionStart = r.pos;
    const id = r.byte();
    const size = r.u32();
    const bodyStart = r.pos;
    const end = bodyStart + size;
    if (id !== 2) {
      r.pos = end;
      continue;
    }
    const count = r.u32();
    for (let i = 0; i < count; i++) {
      const module = r.name();
      const name = r.name();
      const kind = r.byte();
      if (kind === 2 && module === 'env' && name === 'memory') {
        const limitsStart = r.pos;
        const limits = r.limits();
        const replaced = limitsBytes({ initial: limits.initial, maximum: maximumPages, shared: true });
        const body = [...bytes.subarray(bodyStart, limitsStart), ...replaced, ...bytes.subarray(r.pos, end)];
        const section = [2, ...leb(body.length), ...body];
        const out = new Uint8Array(sectionStart + section.length + (bytes.length - end));
        out.set(bytes.subarray(0, sectionStart), 0);
        out.set(section, sectionStart);
        out.set(bytes.subarray(end), sectionStart + section.length);
        return out;
      }
      if (kind === 0) r.u32();
      else if (kind === 1) {
        r.byte();
        r.limits();
      } else if (kind === 2) r.limits();
      else if (kind === 3) {
        readValueType(r);
        r.byte();
      } else if (kind === 4) {
        r.byte();
        r.u32();
      } else throw new Error(`unknown import kind ${kind}`);
    }
    r.pos = end;
  }
  throw new Error('the module does not import env.memory');
}
