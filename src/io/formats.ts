/** The image formats tessera reads and writes, and how a file says it is one. */

/** Formats tessera reads and writes. */
export type ImageFormat = 'png' | 'jpeg' | 'webp';

/** File extensions recognised as images. */
export const IMAGE_EXTENSIONS: readonly string[] = ['.png', '.jpg', '.jpeg', '.webp'];
