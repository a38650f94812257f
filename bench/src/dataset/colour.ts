/** RGB colours (0–255 floats) and the scalar easing used to blend them. */

import type { Rng } from './random.js';

export type RGB = [number, number, number];

export function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

export function smoothstep(e0: number, e1: number, v: number): number {
  const t = clamp01((v - e0) / (e1 - e0));
  return t * t * (3 - 2 * t);
}

export function dist(dx: number, dy: number): number {
  return Math.sqrt(dx * dx + dy * dy);
}

export function mix(a: RGB, b: RGB, t: number): RGB {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

/** mix() into `out` without allocating (for per-pixel use). */
export function mixTo(out: RGB, a: RGB, b: RGB, t: number, k = 1): void {
  out[0] = (a[0] + (b[0] - a[0]) * t) * k;
  out[1] = (a[1] + (b[1] - a[1]) * t) * k;
  out[2] = (a[2] + (b[2] - a[2]) * t) * k;
}

export function scale(a: RGB, k: number): RGB {
  return [a[0] * k, a[1] * k, a[2] * k];
}

/** scale() into `out` without allocating (for per-pixel use). */
export function scaleTo(out: RGB, a: RGB, k: number): void {
  out[0] = a[0] * k;
  out[1] = a[1] * k;
  out[2] = a[2] * k;
}

export function normalize(v: RGB): RGB {
  const l = Math.hypot(v[0], v[1], v[2]);
  return [v[0] / l, v[1] / l, v[2] / l];
}

/** Random brightness and tint change of a colour. */
export function jitter(c: RGB, rng: Rng, amount: number): RGB {
  const k = 1 + amount * (rng.next() * 2 - 1);
  return [
    c[0] * k + amount * 60 * (rng.next() - 0.5),
    c[1] * k + amount * 60 * (rng.next() - 0.5),
    c[2] * k + amount * 60 * (rng.next() - 0.5),
  ];
}
