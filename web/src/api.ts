/**
 * The page's calls to `tessera serve`: the filter list, a run's plan (params and halo
 * checked by tessera's own code), and tessera's verdict on an image file the page
 * cannot or will not decode — so a refusal reads as `tessera run` would print it.
 */
import type { ApiError, ApiFilterList, ApiImageCheck, ApiPlan, ApiPlanRequest } from '../../src/serve/api-types.js';

async function answer<T>(response: Response): Promise<T> {
  const body = (await response.json()) as T | ApiError;
  if (!response.ok) throw new Error((body as ApiError).error ?? `${response.status} ${response.statusText}`);
  return body as T;
}

/** The built-in filters and the user's, with tessera run's limits. */
export async function fetchFilters(): Promise<ApiFilterList> {
  return answer<ApiFilterList>(await fetch('/api/filters'));
}

/**
 * The params as i32, the halo and the scratch of a run, or the message `tessera run`
 * gives for a bad param or a filter whose geometry it refuses.
 */
export async function fetchPlan(request: ApiPlanRequest): Promise<ApiPlan> {
  return answer<ApiPlan>(await fetch('/api/plan', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request) }));
}

/** tessera's decode of the file's bytes, named as the file: its header, or the line `tessera run` prints for it. */
export async function checkImage(name: string, bytes: Uint8Array): Promise<ApiImageCheck> {
  const response = await fetch(`/api/check-image?name=${encodeURIComponent(name)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: bytes as Uint8Array<ArrayBuffer>,
  });
  return answer<ApiImageCheck>(response);
}
