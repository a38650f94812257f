/**
 * The JSON `tessera serve` answers and the page reads: one definition for both sides
 * (the page imports these types; nothing here runs).
 */
import type { FilterParamSpec } from '../filter/manifest.js';

/** The memory a filter module declares, as the loader read it from its bytes. */
export interface ApiMemory {
  /** `exported` (the module defines its memory), `imported` or `imported-shared` (env.memory). */
  mode: 'exported' | 'imported' | 'imported-shared';
  /** Initial pages (64 KiB each). */
  initial: number;
  /** Declared maximum in pages, when the module declares one. */
  maximum?: number;
}

/** One compiled form of a filter, as the page fetches it. */
export interface ApiForm {
  /** Where the page fetches the `.wasm` (same origin). */
  url: string;
  memory: ApiMemory;
  /**
   * A shared form with a shadow stack (C, Rust): bytes of the stack each lane gets above its
   * scratch, through the exported `__stack_pointer` (filter/shadow-stack.ts).
   */
  stackBytes?: number;
}

/** A parameter: what a slider needs — the manifest's own description of it. */
export type ApiParam = FilterParamSpec;

/** A filter the page can run, or one that failed to load (then `error` holds the CLI's message). */
export interface ApiFilter {
  /** Unique among the listed filters: `builtin:NAME` or `user:FILE.wasm`. */
  id: string;
  /** The manifest's name (a user's file that failed to load: its file name). */
  name: string;
  description: string;
  /** How messages name the filter, as `tessera run` does: a built-in by name, a user's by the path of its .wasm. */
  label: string;
  builtin: boolean;
  /** Halo at the default params, in pixels. */
  halo?: number;
  params: ApiParam[];
  /** The plain form (NAME.wasm): the `copy` strategy, a private memory per worker. */
  plain?: ApiForm;
  /** The shared-memory form (NAME.shared.wasm), when there is one: the `shared` strategy. */
  shared?: ApiForm;
  /** Set when the loader refused the filter: the message `tessera run --filter` would print. */
  error?: string;
}

/** GET /api/filters. */
export interface ApiFilterList {
  /** Whether the server sends the COOP/COEP headers that make the page cross-origin isolated. */
  isolation: boolean;
  /** Limits the page applies as `tessera run` does by default. */
  limits: ApiLimits;
  filters: ApiFilter[];
}

/** The defaults of `tessera run` the page keeps to. */
export interface ApiLimits {
  /** Refuse images with more pixels than this (--max-pixels). */
  maxPixels: number;
  /** The tile edge `tessera run` uses by default (--tile). */
  tileSize: number;
  /** Per-tile deadline, ms (--tile-timeout). */
  tileTimeoutMs: number;
  /** Cap on the memory a filter may grow, in pages (--filter-memory). */
  maxMemoryPages: number;
}

/** POST /api/plan: what a run of one filter with these params and tile size needs. */
export interface ApiPlanRequest {
  filter: string;
  params: Record<string, number>;
  tileSize: number;
  strategy: 'shared' | 'copy';
}

/** The answer: the params as the filter receives them and the filter's own geometry, checked as `tessera run` checks them. */
export interface ApiPlan {
  /** p0..p3 as i32 (defaults filled in, `number` params scaled). */
  params: number[];
  halo: number;
  /** `shared`: scratch bytes of a full tile (each lane reserves a slot of it). */
  scratchBytes: number;
  maxMemoryPages: number;
  tileTimeoutMs: number;
}

/** POST /api/check-image: the CLI's verdict on an image file. */
export type ApiImageCheck =
  | { ok: true; width: number; height: number; format: string; hasAlpha: boolean }
  | { ok: false; message: string };

/** Any API error: one line (or a line and its "Possible solutions"), as the CLI prints it. */
export interface ApiError {
  error: string;
}
