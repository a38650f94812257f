// A bare host-call loop for the start-up bench (bench/src/startup/extism.ts): what crossing
// from WebAssembly into a JavaScript import costs with nothing behind it, with i32 and
// with i64 (BigInt) arguments and results — the floor under the Extism SDK's
// `input_load_u64` / `store_u64`, which move a tile 8 bytes per call.

// @ts-ignore: decorator
@external("bench", "load32")
declare function load32(offset: u32): u32;
// @ts-ignore: decorator
@external("bench", "load64")
declare function load64(offset: u64): u64;

/** Calls load32 `n` times (offsets 0, 8, 16, …) and sums what it returns. */
export function loop32(n: i32): u32 {
  let acc: u32 = 0;
  for (let i = 0; i < n; i++) acc += load32(<u32>i << 3);
  return acc;
}

/** Calls load64 `n` times (offsets 0, 8, 16, …) and sums what it returns. */
export function loop64(n: i32): u64 {
  let acc: u64 = 0;
  for (let i = 0; i < n; i++) acc += load64(<u64>i << 3);
  return acc;
}
