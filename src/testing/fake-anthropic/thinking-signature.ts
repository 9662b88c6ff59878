/**
 * Signatures of the fake's thinking blocks: an HMAC of the thinking text, so the fake can tell a
 * thinking block it wrote, passed back unchanged, from one that was altered or made up (the real
 * API refuses those with a 400). Pure.
 * @module
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Not a secret: it only keeps test signatures from being mistaken for real ones. */
const KEY = 'rx-orchestra fake-anthropic thinking signature v1';

/**
 * The signature the fake Anthropic server gives a thinking block with this text (base64, like the
 * API's opaque signatures). Deterministic, so a test can build a valid transcript by hand.
 *
 * ## Example
 * ```ts
 * const block = { type: 'thinking', thinking: 'Plan first.', signature: fakeThinkingSignature('Plan first.') };
 * ```
 */
export function fakeThinkingSignature(thinking: string): string {
  return createHmac('sha256', KEY).update(thinking, 'utf8').digest('base64');
}

/**
 * Whether `signature` is the fake's signature of `thinking`.
 *
 * ## Example
 * ```ts
 * isFakeThinkingSignature('Plan first.', fakeThinkingSignature('Plan first.')); // true
 * ```
 */
export function isFakeThinkingSignature(thinking: string, signature: unknown): boolean {
  if (typeof signature !== 'string') return false;
  const expected = Buffer.from(fakeThinkingSignature(thinking), 'utf8');
  const given = Buffer.from(signature, 'utf8');
  return expected.length === given.length && timingSafeEqual(expected, given);
}
