/**
 * Box means for box-blur and sharpen: for every pixel and channel,
 * floor((Σ over the (2r+1)² window + floor(d/2)) / d), d = (2r+1)².
 * Exact integers, so the sliding sums here equal the WASM's vector sums bit for bit.
 * @returns width·height·4 means, row-major RGBA
 */
export function boxMeans(
  mem: Uint8Array, src: number, srcStride: number, width: number, height: number, r: number,
): Uint8Array {
  const rows = height + 2 * r;
  // Horizontal sums of rows -r..height+r-1: h[(j + r)·width·4 + x·4 + c].
  const h = new Int32Array(rows * width * 4);
  for (let j = 0; j < rows; j++) {
    const row = src + (j - r) * srcStride;
    const out = j * width * 4;
    for (let c = 0; c < 4; c++) {
      let sum = 0;
      for (let i = -r; i <= r; i++) sum += mem[row + i * 4 + c];
      h[out + c] = sum;
      for (let x = 1; x < width; x++) {
        sum += mem[row + (x + r) * 4 + c] - mem[row + (x - r - 1) * 4 + c];
        h[out + x * 4 + c] = sum;
      }
    }
  }
  const d = (2 * r + 1) * (2 * r + 1);
  const half = d >> 1;
  const means = new Uint8Array(width * height * 4);
  const line = width * 4;
  // Vertical sums slide down row by row: add the row entering the window, drop the one leaving.
  const v = new Int32Array(line);
  for (let j = 0; j <= 2 * r; j++) for (let i = 0; i < line; i++) v[i] += h[j * line + i];
  for (let y = 0; y < height; y++) {
    if (y > 0) {
      const enter = (y + 2 * r) * line;
      const leave = (y - 1) * line;
      for (let i = 0; i < line; i++) v[i] += h[enter + i] - h[leave + i];
    }
    const out = y * line;
    for (let i = 0; i < line; i++) means[out + i] = Math.floor((v[i] + half) / d);
  }
  return means;
}
