/**
 * A stable hash of a string into [0, 1): FNV-1a over its UTF-16 code units, then murmur3's
 * finalizer so that keys differing in one character (`run-1`, `run-2`) spread over the range. The
 * same string gives the same number in every process and version. @internal
 */
export function stableBucket(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}
