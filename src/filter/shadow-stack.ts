/**
 * The shadow stack rule. C, C++ and Rust compilers keep locals whose address is taken
 * (arrays, structs passed by pointer, spills) on a stack in linear memory, addressed by a
 * mutable i32 global, `__stack_pointer`, that starts at a constant address (with
 * `--stack-first`, the top of [0, stack size)). In a plain memory that is harmless: every
 * instance has a memory of its own. Under `shared` every thread's instance imports the
 * same memory — and starts its stack pointer at the same address, so threads filtering
 * tiles of one image at once would push their frames onto the same bytes and overwrite
 * each other's locals: wrong pixels, never a trap.
 *
 * So a shared form that uses a shadow stack must export its stack pointer as a mutable
 * global named `__stack_pointer`; before each call the host points it at the top of a
 * stack of the calling lane's own, carved from the image's memory beside the lane's
 * scratch slot (strategies/shared.ts), as large as the stack the module was linked with
 * (the pointer's initial value). A shared form that keeps its stack pointer to itself is
 * refused at load; so is any form whose stack would start above the module's 64 KiB,
 * where it would grow down over the host's pixels.
 *
 * The stack pointer is found from the bytes: the export named `__stack_pointer`, else the
 * `name` section's name for it (wasm-ld and AssemblyScript both call it that), else — for
 * a stripped module — the mutable i32 global the code moves as LLVM opens a frame
 * (`global.get; i32.const n; i32.sub`) and writes back.
 */
import { HOST_BASE } from './abi.js';
import type { WasmBinaryInfo } from './binary.js';
import { scanGlobalUse, type GlobalUse } from './code-scan.js';

/** The export name through which the host moves a shared form's stack pointer. */
export const STACK_POINTER_EXPORT = '__stack_pointer';

/** A module's shadow stack, as its bytes show it. */
export interface ShadowStack {
  /** Index of the stack pointer in the global index space. */
  global: number;
  /** Its name in the `name` section, when the module has one. */
  name: string | undefined;
  /** The pointer's initial value: the top of the stack the module was linked with. */
  initial: number | undefined;
  /** A mutable i32 the module defines (a host can move it only then). */
  mutableI32: boolean;
  /** Whether the code reads or writes it (a linker may define one that no function uses). */
  used: boolean;
  /** Exported as {@link STACK_POINTER_EXPORT}. */
  exported: boolean;
  /** How it was recognised. */
  evidence: 'export' | 'name' | 'frames';
}

/** Is `name` a stack pointer's name (wasm-ld's `__stack_pointer`, AssemblyScript's `~lib/memory/__stack_pointer`)? */
function isStackPointerName(name: string | undefined): boolean {
  return name === STACK_POINTER_EXPORT || (name?.endsWith(`/${STACK_POINTER_EXPORT}`) ?? false);
}

/**
 * Finds the module's shadow stack pointer, if it has one.
 * @param bytes the module
 * @param info what {@link inspectWasmBinary} read from it
 */
export function findShadowStack(bytes: Uint8Array, info: WasmBinaryInfo): ShadowStack | undefined {
  const exported = info.exports.find((e) => e.kind === 'global' && e.name === STACK_POINTER_EXPORT);
  // No global that could be one (the AssemblyScript built-ins define none): no need to walk the code.
  if (!exported && !info.globals.some((g) => g.mutable && g.type === 'i32')) return undefined;
  let use: GlobalUse | undefined;
  try {
    use = info.code ? scanGlobalUse(bytes, info.code) : { read: new Set(), written: new Set(), framed: new Set() };
  } catch {
    use = undefined; // an instruction the walk does not know: judge by names and exports, assume the code uses them
  }
  let global: number | undefined;
  let evidence: ShadowStack['evidence'] = 'export';
  if (exported) global = exported.index;
  if (global === undefined) {
    evidence = 'name';
    for (const [index, name] of info.globalNames) if (isStackPointerName(name)) global = index;
  }
  if (global === undefined && use) {
    evidence = 'frames';
    global = info.globals.find((g) => g.mutable && g.type === 'i32' && use!.framed.has(g.index) && use!.written.has(g.index))?.index;
  }
  if (global === undefined) return undefined;
  const defined = info.globals.find((g) => g.index === global);
  return {
    global,
    name: info.globalNames.get(global),
    initial: defined?.initialI32,
    mutableI32: defined !== undefined && defined.mutable && defined.type === 'i32',
    used: use === undefined || use.read.has(global) || use.written.has(global),
    exported: exported !== undefined && exported.index === global,
    evidence,
  };
}

/** Bytes of stack each lane gets under `shared`: the module's own, rounded up to 16. */
export function laneStackBytes(stack: ShadowStack): number {
  return Math.max(16, ((stack.initial ?? HOST_BASE) + 15) & ~15);
}

/** How a message names the stack pointer. */
function pointerText(stack: ShadowStack): string {
  return `global ${stack.global}${stack.name ? ` (${stack.name})` : stack.exported ? ` (exported as ${STACK_POINTER_EXPORT})` : ''}`;
}

/** What to do, as the README says it: the flags for each toolchain. */
const EXPORT_HOWTO =
  `export the stack pointer, so that tessera gives every thread a stack of its own: clang -mmutable-globals -Wl,--export=${STACK_POINTER_EXPORT}; ` +
  `rustc -C target-feature=+mutable-globals -C link-arg=--export=${STACK_POINTER_EXPORT} (scripts/build-native-filter.mjs does this)`;

/**
 * Why this form's shadow stack is unsafe, or undefined when it is safe (or there is none).
 * @param stack what {@link findShadowStack} found
 * @param shared the form imports a shared memory (it runs under `shared`)
 * @param file the form's file name, for the advice
 */
export function shadowStackProblem(stack: ShadowStack | undefined, shared: boolean, file: string): string | undefined {
  if (!stack || !stack.used) return undefined;
  const where = pointerText(stack);
  if (stack.initial === undefined || stack.initial > HOST_BASE) {
    const start = stack.initial === undefined ? 'does not start at a constant address' : `starts at address ${stack.initial}`;
    return (
      `keeps a shadow stack whose pointer, ${where}, ${start}: the stack must lie in the module's ${HOST_BASE} bytes, or it grows down over the host's pixels. ` +
      'Possible solutions:\n- link with --stack-first and a stack that fits beside the data: clang -Wl,--stack-first -Wl,-z,stack-size=32768; rustc -C link-arg=-zstack-size=32768'
    );
  }
  if (!shared) return undefined;
  if (!stack.exported) {
    const twin = file.endsWith('.shared.wasm');
    return (
      `imports a shared memory and keeps a shadow stack in it: its code moves ${where}, which starts at address ${stack.initial} in every instance, ` +
      `so the threads filtering tiles of one image at once would push their frames onto the same bytes [0, ${stack.initial}) of the image's memory and overwrite each other's locals. ` +
      `Possible solutions:\n- ${EXPORT_HOWTO}\n` +
      `- drop the shared form (${twin ? `delete ${file.split('/').pop()}` : 'import a plain env.memory'}) and run under copy, where every instance has a memory of its own`
    );
  }
  if (!stack.mutableI32) {
    return `exports ${STACK_POINTER_EXPORT}, but not as a mutable i32 global it defines, so tessera cannot give each thread a stack of its own. Possible solutions:\n- ${EXPORT_HOWTO}`;
  }
  return undefined;
}
