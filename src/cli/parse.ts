import { InvalidArgumentError } from 'commander';

/** Commander collector for repeatable options. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Commander parser for a positive integer option, naming the option in its error. */
export function positiveInt(flag: string): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) {
      throw new InvalidArgumentError(`${flag} expects a positive integer, got "${value}"`);
    }
    return n;
  };
}

/** Commander parser for an integer option ≥ 0, naming the option in its error. */
export function nonNegativeInt(flag: string): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`${flag} expects an integer ≥ 0, got "${value}"`);
    return n;
  };
}

/** Commander parser for a number of megapixels (≥ 0, fractions allowed), returned in pixels. */
export function megapixels(flag: string): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${flag} expects megapixels (a number ≥ 0, e.g. 32 or 0.5), got "${value}"`);
    return Math.round(n * 1e6);
  };
}

/** Commander parser for a comma-separated list. */
export function commaList(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}
