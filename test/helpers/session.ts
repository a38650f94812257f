/** A library Session for the length of one call, closed (threads stopped) pass or fail. */
import { Session, type SessionOptions } from '../../src/pipeline/session.js';
import { applyReference } from '../../src/reference/apply-reference.js';
import { firstDifference } from './images.js';

export async function withSession<T>(options: SessionOptions, fn: (session: Session) => Promise<T>): Promise<T> {
  const session = new Session(options);
  try {
    return await fn(session);
  } finally {
    await session.close();
  }
}

/**
 * The seam check: filters raw RGBA8 pixels tile by tile in a session of its own and
 * compares the result with the filter's TypeScript reference applied to the whole image.
 * @returns undefined when byte-identical, else the first differing pixel
 */
export function diffFromReference(options: SessionOptions, rgba: Uint8Array, width: number, height: number): Promise<string | undefined> {
  return withSession(options, async (session) => {
    const tiled = await session.filterPixels(rgba, width, height);
    return firstDifference(tiled, applyReference(session.filter.name, session.params, rgba, width, height), width);
  });
}
