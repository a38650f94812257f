/**
 * A walk over every instruction of a module's code section that records how the code
 * uses its globals — which it reads, which it writes, and which it moves like a stack
 * pointer. The JS API cannot tell a module's shadow stack from any other global; its
 * instructions can (see shadow-stack.ts).
 *
 * The walk decodes immediates only to step over them: MVP, sign-extension, saturating
 * truncation, bulk memory, reference types, SIMD, threads, tail calls and the legacy
 * exception opcodes. An opcode it does not know ends the walk with an error, and the
 * caller then judges the module on its names and exports alone.
 */
import { readValueType, Reader } from './binary.js';

/** How the module's code uses each global, by global index. */
export interface GlobalUse {
  /** Globals some `global.get` reads. */
  read: Set<number>;
  /** Globals some `global.set` writes. */
  written: Set<number>;
  /**
   * Globals the code moves like a compiler's stack pointer: `global.get G` followed at once
   * by `i32.const n` or `local.get`, then `i32.sub` — how LLVM opens a stack frame.
   */
  framed: Set<number>;
}

/** Memory instructions 0x28–0x3e (loads and stores) carry a memarg. */
function skipMemarg(r: Reader): void {
  const align = r.u32();
  if (align & 0x40) r.u32(); // multi-memory: a memory index follows
  r.u32();
}

/** Block types are 0x40, a value type, or a type index as a signed 33-bit LEB. */
function skipBlockType(r: Reader): void {
  const b = r.bytes[r.pos];
  if (b === 0x63 || b === 0x64) readValueType(r);
  else r.skipLeb();
}

function skipPrefixFC(r: Reader): void {
  const op = r.u32();
  if (op <= 7) return; // saturating truncations
  if (op === 8) {
    r.u32();
    r.byte(); // memory.init data, memory
  } else if (op === 9 || op === 13 || (op >= 15 && op <= 17)) r.u32(); // data.drop, elem.drop, table.grow/size/fill
  else if (op === 10 || op === 12 || op === 14) {
    r.u32();
    r.u32(); // memory.copy, table.init, table.copy
  } else if (op === 11) r.u32(); // memory.fill
  else throw new Error(`unknown instruction 0xfc ${op}`);
}

function skipPrefixFD(r: Reader): void {
  const op = r.u32();
  if (op <= 0x0b || op === 0x5c || op === 0x5d) skipMemarg(r); // loads, v128.store, load32/64_zero
  else if (op === 0x0c || op === 0x0d) r.skip(16); // v128.const, i8x16.shuffle
  else if (op >= 0x15 && op <= 0x22) r.byte(); // extract_lane, replace_lane
  else if (op >= 0x54 && op <= 0x5b) {
    skipMemarg(r);
    r.byte(); // load_lane, store_lane
  }
  // everything else (arithmetic, relaxed SIMD) has no immediate
}

function skipPrefixFE(r: Reader): void {
  const op = r.u32();
  if (op === 0x03) r.byte(); // atomic.fence
  else if (op <= 0x02 || (op >= 0x10 && op <= 0x4e)) skipMemarg(r);
  else throw new Error(`unknown instruction 0xfe ${op}`);
}

/** Steps over one instruction's immediates (its opcode already read). */
function skipImmediates(r: Reader, op: number): void {
  if (op === 0x02 || op === 0x03 || op === 0x04 || op === 0x06) skipBlockType(r);
  else if ((op >= 0x07 && op <= 0x09) || op === 0x0c || op === 0x0d || op === 0x10 || op === 0x12 || op === 0x14 || op === 0x15 || op === 0x18) r.u32();
  else if (op === 0x0e) {
    const n = r.u32();
    for (let i = 0; i <= n; i++) r.u32(); // the labels and the default
  } else if (op === 0x11 || op === 0x13) {
    r.u32();
    r.u32(); // call_indirect type, table
  } else if (op === 0x1c) {
    const n = r.u32();
    for (let i = 0; i < n; i++) readValueType(r);
  } else if (op >= 0x20 && op <= 0x26) r.u32(); // locals, globals, table.get/set
  else if (op >= 0x28 && op <= 0x3e) skipMemarg(r);
  else if (op === 0x3f || op === 0x40) r.u32(); // memory.size/grow: memory index
  else if (op === 0x41) r.i32();
  else if (op === 0x42) r.skipLeb();
  else if (op === 0x43) r.skip(4);
  else if (op === 0x44) r.skip(8);
  else if (op === 0xd0) skipBlockType(r); // ref.null heap type
  else if (op === 0xd2 || op === 0xd5 || op === 0xd6) r.u32(); // ref.func, br_on_null, br_on_non_null
  else if (op === 0xfc) skipPrefixFC(r);
  else if (op === 0xfd) skipPrefixFD(r);
  else if (op === 0xfe) skipPrefixFE(r);
  else if (op <= 0x1b || (op >= 0x45 && op <= 0xc4) || op === 0xd1 || op === 0xd3 || op === 0xd4) return; // no immediates
  else throw new Error(`unknown instruction 0x${op.toString(16)}`);
}

/**
 * Walks the function bodies in `bytes[code.start, code.end)` (the code section's contents).
 * @throws Error on an instruction it does not know or a malformed body
 */
export function scanGlobalUse(bytes: Uint8Array, code: { start: number; end: number }): GlobalUse {
  const use: GlobalUse = { read: new Set(), written: new Set(), framed: new Set() };
  const r = new Reader(bytes, code.end);
  r.pos = code.start;
  const bodies = r.u32();
  for (let f = 0; f < bodies; f++) {
    const size = r.u32();
    const end = r.pos + size;
    const groups = r.u32();
    for (let g = 0; g < groups; g++) {
      r.u32();
      readValueType(r);
    }
    // The frame pattern: global.get G, then i32.const / local.get, then i32.sub.
    let lastGet = -1;
    let step = 0;
    while (r.pos < end) {
      const op = r.byte();
      if (op === 0x23 || op === 0x24) {
        const index = r.u32();
        (op === 0x23 ? use.read : use.written).add(index);
        lastGet = op === 0x23 ? index : -1;
        step = op === 0x23 ? 1 : 0;
        continue;
      }
      skipImmediates(r, op);
      if (step === 1 && (op === 0x41 || op === 0x20)) step = 2;
      else if (step === 2 && op === 0x6b) {
        use.framed.add(lastGet);
        step = 0;
      } else step = 0;
    }
    if (r.pos !== end) throw new Error(`function body ${f} is malformed`);
  }
  return use;
}
