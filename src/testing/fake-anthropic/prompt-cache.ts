/**
 * The fake's prompt cache: which prefixes of earlier requests it holds, and what a request's
 * `cache_control` breakpoints read from and write to it, counted as the API counts them.
 * @module
 * @internal
 */
import { createHash } from 'node:crypto';
import { blockChars, withoutCacheControl } from './replies.js';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** How far back from a breakpoint the API looks for an earlier cached prefix, in blocks. */
export const CACHE_LOOKBACK_BLOCKS = 20;

/** Smallest prefix the API caches, in tokens (Sonnet and Opus models; some Haiku models need more). */
export const DEFAULT_MIN_CACHE_TOKENS = 1024;

/** What one request did with the cache, in tokens; `input_tokens` is what neither read nor wrote. */
export interface CacheAccount {
  input_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

interface Segment {
  /** Canonical JSON of the block without its `cache_control`. */
  key: string;
  chars: number;
  breakpoint: boolean;
}

/**
 * The prompt in cache order, one segment per tool definition, system block and message block:
 * a change anywhere invalidates every prefix that contains it.
 */
function segmentsOf(body: Json): Segment[] {
  const segments: Segment[] = [];
  const add = (block: unknown, where: string) => {
    segments.push({ key: `${where}:${JSON.stringify(withoutCacheControl(block))}`, chars: blockChars(block), breakpoint: isObject(block) && Boolean(block.cache_control) });
  };
  if (Array.isArray(body.tools)) for (const tool of body.tools) add(tool, 'tool');
  if (typeof body.system === 'string') add({ type: 'text', text: body.system }, 'system');
  else if (Array.isArray(body.system)) for (const block of body.system) add(block, 'system');
  if (Array.isArray(body.messages)) {
    for (const message of body.messages) {
      if (!isObject(message)) continue;
      const role = String(message.role);
      const blocks = typeof message.content === 'string' ? [{ type: 'text', text: message.content }] : Array.isArray(message.content) ? message.content : [];
      blocks.forEach((block: unknown, i: number) => add(block, i === 0 ? `turn:${role}` : role));
    }
  }
  // Top-level cache_control: the API puts the breakpoint on the last cacheable block.
  if (isObject(body.cache_control) && segments.length > 0) segments[segments.length - 1]!.breakpoint = true;
  return segments;
}

/**
 * Prefixes written by earlier requests, per server. Entries never expire (the real cache keeps
 * them five minutes, refreshed on use: longer than any test).
 */
export class FakePromptCache {
  readonly #entries = new Set<string>();
  constructor(private readonly minTokens = DEFAULT_MIN_CACHE_TOKENS) {}

  /**
   * Reads and writes the cache for one request; undefined when it has no breakpoint. Reads the
   * longest prefix cached at a breakpoint or up to {@link CACHE_LOOKBACK_BLOCKS} blocks before
   * one; writes every breakpoint past it whose prefix reaches the minimum size.
   */
  account(body: Json | undefined): CacheAccount | undefined {
    if (!body) return undefined;
    const segments = segmentsOf(body);
    if (!segments.some((s) => s.breakpoint)) return undefined;
    const hashes: string[] = [];
    const chars: number[] = []; // chars of the prefix ending at each segment
    let hash = createHash('sha256').update(String(body.model)).digest('hex');
    let total = 0;
    for (const segment of segments) {
      hash = createHash('sha256').update(hash).update(segment.key).digest('hex');
      total += segment.chars;
      hashes.push(hash);
      chars.push(total);
    }
    const tokens = (i: number) => (i < 0 ? 0 : Math.ceil(chars[i]! / 4));
    const breakpoints = segments.flatMap((s, i) => (s.breakpoint ? [i] : []));

    let hit = -1;
    for (const b of breakpoints) {
      for (let i = b; i >= Math.max(0, b - CACHE_LOOKBACK_BLOCKS + 1) && i > hit; i--) {
        if (this.#entries.has(hashes[i]!)) {
          hit = i;
          break;
        }
      }
    }
    let written = hit;
    for (const b of breakpoints) {
      if (b > hit && tokens(b) >= this.minTokens) {
        this.#entries.add(hashes[b]!);
        written = Math.max(written, b);
      }
    }
    const read = tokens(hit);
    const creation = tokens(written) - read;
    return { input_tokens: Math.ceil(total / 4) - read - creation, cache_creation_input_tokens: creation, cache_read_input_tokens: read };
  }
}
