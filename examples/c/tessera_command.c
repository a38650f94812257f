/*
 * tessera_command.c — the WASI command form of a C filter (the `pipe` and `disk`
 * strategies): linked with the filter's own source into FILE.wasi.wasm, it reads tile
 * frames from fd 0, runs the filter's `filter` export on them and writes the results to
 * fd 1. It imports only fd_read, fd_write and proc_exit (tessera refuses anything else)
 * and owns its memory, capped by -Wl,--max-memory. scripts/build-native-filter.mjs links
 * it in; the frame format is the one in assembly/lib/command.ts and the README:
 *
 *   request   "TSR1", u32 width, height, halo, i32 p0..p3 (32 bytes), then the tile with its
 *             halo, rows packed: (width + 2·halo)·(height + 2·halo)·4 bytes
 *   response  "TSO1", u32 width, height, status (16 bytes), then width·height·4 bytes
 *   end of image: a request header with width = height = 0 → exit 75 (the host starts a fresh
 *             instance for the next image); end of input → exit 0; a malformed frame → exit 3.
 */
#include "tessera_filter.h"

#define WASI_IMPORT(name) __attribute__((import_module("wasi_snapshot_preview1"), import_name(name)))

typedef struct {
  uint8_t *buf;
  uint32_t len;
} wasi_iovec;

WASI_IMPORT("fd_read") uint16_t wasi_fd_read(int32_t fd, const wasi_iovec *iovs, int32_t count, uint32_t *nread);
WASI_IMPORT("fd_write") uint16_t wasi_fd_write(int32_t fd, const wasi_iovec *iovs, int32_t count, uint32_t *nwritten);
WASI_IMPORT("proc_exit") _Noreturn void wasi_proc_exit(int32_t code);

/* scratch_size is optional in the ABI: weak, so a filter without one still links (its address is then 0). */
__attribute__((weak)) int32_t scratch_size(int32_t width, int32_t height, int32_t p0, int32_t p1, int32_t p2, int32_t p3);

#define MAGIC_IN 0x31525354u  /* "TSR1" */
#define MAGIC_OUT 0x314f5354u /* "TSO1" */

static inline uint32_t align16(uint32_t n) { return (n + 15) & ~15u; }
static inline int32_t load_i32(const uint8_t *p) { int32_t v; __builtin_memcpy(&v, p, 4); return v; }
static inline void store_u32(uint8_t *p, uint32_t v) { __builtin_memcpy(p, &v, 4); }

/* Pipes deliver partial reads and accept partial writes: loop until done or end of input. */
static uint32_t read_fully(uint8_t *ptr, uint32_t len) {
  uint32_t done = 0;
  while (done < len) {
    wasi_iovec iov = {ptr + done, len - done};
    uint32_t n = 0;
    if (wasi_fd_read(0, &iov, 1, &n) != 0) wasi_proc_exit(2);
    if (n == 0) break;
    done += n;
  }
  return done;
}

static void write_fully(uint8_t *ptr, uint32_t len) {
  uint32_t done = 0;
  while (done < len) {
    wasi_iovec iov = {ptr + done, len - done};
    uint32_t n = 0;
    if (wasi_fd_write(1, &iov, 1, &n) != 0) wasi_proc_exit(2);
    done += n;
  }
}

/* Frames live from TESSERA_HOST_BASE up, as in the plain form; memory grows to fit (exit 4 past its maximum). */
static void ensure_memory(uint32_t end) {
  uint32_t have = (uint32_t)__builtin_wasm_memory_size(0) << 16;
  if (end > have && __builtin_wasm_memory_grow(0, (end - have + 0xffff) >> 16) == (__SIZE_TYPE__)-1) wasi_proc_exit(4);
}

TESSERA_EXPORT("_start") void tessera_command_start(void) {
  uint8_t *const header = (uint8_t *)TESSERA_HOST_BASE;
  ensure_memory(TESSERA_HOST_BASE + 64);
  for (;;) {
    uint32_t got = read_fully(header, 32);
    if (got == 0) wasi_proc_exit(0);
    if (got < 32 || (uint32_t)load_i32(header) != MAGIC_IN) wasi_proc_exit(3);
    const int32_t width = load_i32(header + 4), height = load_i32(header + 8), halo_px = load_i32(header + 12);
    const int32_t p0 = load_i32(header + 16), p1 = load_i32(header + 20), p2 = load_i32(header + 24), p3 = load_i32(header + 28);
    if (width == 0 && height == 0) wasi_proc_exit(75);
    if (width <= 0 || height <= 0 || halo_px < 0 || halo_px > TESSERA_MAX_HALO || width > 65536 || height > 65536) wasi_proc_exit(3);
    const uint32_t in_stride = (uint32_t)(width + 2 * halo_px) << 2;
    const uint32_t in_bytes = in_stride * (uint32_t)(height + 2 * halo_px);
    const uint32_t out_bytes = (uint32_t)width * (uint32_t)height * 4;
    const uint32_t src = TESSERA_HOST_BASE + 64;
    const uint32_t out = align16(src + in_bytes);
    const uint32_t dst = out + 16;
    const uint32_t scratch = align16(dst + out_bytes);
    const int32_t need = scratch_size ? scratch_size(width, height, p0, p1, p2, p3) : 0;
    ensure_memory(scratch + (uint32_t)(need > 0 ? need : 0));
    if (read_fully((uint8_t *)src, in_bytes) != in_bytes) wasi_proc_exit(3);
    filter((const uint8_t *)src + halo_px * in_stride + (halo_px << 2), (int32_t)in_stride, (uint8_t *)dst, width << 2, width, height,
           (uint8_t *)scratch, p0, p1, p2, p3);
    store_u32((uint8_t *)out, MAGIC_OUT);
    store_u32((uint8_t *)out + 4, (uint32_t)width);
    store_u32((uint8_t *)out + 8, (uint32_t)height);
    store_u32((uint8_t *)out + 12, 0);
    write_fully((uint8_t *)out, 16 + out_bytes);
  }
}
