import { OptionsError } from '../errors/options-error.js';

/** Characters per token of the default estimate, as the simulated provider and the fake API count. */
const CHARS_PER_TOKEN = 4;

/** A sentence cut is preferred when it keeps at least this share of what fits; else a word cut. */
const MIN_SHARE_FOR_SENTENCE_CUT = 2 / 3;
/** A word cut is preferred when it keeps at least this share of what fits; else a hard cut. */
const MIN_SHARE_FOR_WORD_CUT = 1 / 2;

/**
 * A rough token count: `ceil(UTF-16 length / 4)`, the rule the simulated provider and the fake
 * Anthropic API use, about right for English prose. It undercounts Korean, Chinese and Japanese
 * (about one token per character, not per four): for those, or for exact counts, pass your own
 * `tokensOf` (e.g. backed by the Messages API's `count_tokens`).
 *
 * ## Example
 * ```ts
 * import { estimateTokens } from 'rx-orchestra';
 * estimateTokens('abcde'); // 2
 * estimateTokens('');      // 0
 * ```
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

/**
 * Settings of {@link capTokens}.
 *
 * ## Example
 * ```ts
 * import { capTokens, type CapTokensOptions } from 'rx-orchestra';
 * const perCharacter: CapTokensOptions = { tokensOf: (text) => [...text].length, ellipsis: '…' }; // Korean, Chinese, Japanese
 * capTokens('我们今天去公园。然后我们吃午饭。', 12, perCharacter); // '我们今天去公园。…'
 * ```
 */
export interface CapTokensOptions {
  /**
   * Counts the tokens of a text. It should grow with the text (a longer prefix never counts fewer
   * tokens) and count `''` as 0.
   * @default estimateTokens: ceil(characters / 4)
   */
  tokensOf?: (text: string) => number;
  /** Appended to a cut text (it counts toward the cap); `''` for none. @default ' …' */
  ellipsis?: string;
}

/**
 * Cuts a text to at most `maxTokens` tokens (seed 000: fan-out children get a summary of at most
 * 200 tokens, not the full upstream text). A text within the cap is returned unchanged; a longer
 * one is cut at the end of a sentence when that keeps at least two thirds of what fits, else at
 * the end of a word when that keeps at least half, else between two grapheme clusters, and
 * `ellipsis` is appended; when not even one cluster fits, the result is the ellipsis alone
 * (trimmed), or `''` when that does not fit either. The result, ellipsis included, never counts
 * more than `maxTokens` by `tokensOf`.
 * Unicode-safe: it never splits a surrogate pair, a combining sequence, a Hangul syllable or an
 * emoji sequence (it cuts between grapheme clusters, and at word and sentence boundaries as
 * `Intl.Segmenter` finds them, so Korean, Chinese and Japanese text cuts at real boundaries). Pure.
 *
 * This keeps the start of the text. An LLM summary node is the richer option, when its cost is
 * worth it: it condenses the whole text, and its `maxTokens` caps it:
 * ```ts
 * graph()
 *   .node('research', { run: llm({ prompt: () => 'Everything about RxJS schedulers' }) })
 *   .node('summary', {
 *     deps: ['research'],
 *     run: llm({ prompt: ({ research }) => `Summarize in under 150 words:\n${research}`, model: 'claude-haiku-4-5', maxTokens: 200 }),
 *   })
 *   .node('examples', { deps: ['summary'], run: llm({ prompt: ({ summary }) => `Write examples for:\n${summary}` }) });
 * ```
 *
 * ## Example
 * ```ts
 * import { capTokens, graph, llm } from 'rx-orchestra';
 * capTokens('One two three. Four five six seven eight nine.', 5); // 'One two three. …'
 *
 * const g = graph()
 *   .node('research', { run: llm({ prompt: () => 'Everything about RxJS schedulers' }) })
 *   .node('brief', { deps: ['research'], run: ({ inputs }) => [capTokens(inputs.research, 200)] }) // free, instant
 *   .node('examples', { deps: ['brief'], run: llm({ prompt: ({ brief }) => `Write examples for:\n${brief}` }) })
 *   .node('pitfalls', { deps: ['brief'], run: llm({ prompt: ({ brief }) => `List pitfalls of:\n${brief}` }) })
 *   .build();
 * ```
 * @param text the text to cut
 * @param maxTokens the cap, an integer >= 0
 * @throws {OptionsError} for a `maxTokens` that is not an integer >= 0, a non-string
 *   `ellipsis` or a non-function `tokensOf`
 */
export function capTokens(text: string, maxTokens: number, options: CapTokensOptions = {}): string {
  const { tokensOf = estimateTokens, ellipsis = ' …' } = options;
  if (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < 0) {
    throw new OptionsError('maxTokens', `'maxTokens' must be an integer >= 0, got ${String(maxTokens)}`, 'budget');
  }
  if (typeof ellipsis !== 'string') throw new OptionsError('ellipsis', `'ellipsis' must be a string`, 'budget');
  if (typeof tokensOf !== 'function') throw new OptionsError('tokensOf', `'tokensOf' must be a function of a text`, 'budget');
  if (tokensOf(text) <= maxTokens) return text;

  const withEllipsis = (end: number) => {
    const kept = text.slice(0, end).trimEnd();
    return kept === '' ? ellipsis.trimStart() : kept + ellipsis;
  };
  const fits = (end: number) => tokensOf(withEllipsis(end)) <= maxTokens;

  // The longest prefix that fits and ends between two grapheme clusters: a binary search over
  // offsets, each snapped down to a cluster boundary (a longer prefix never fits better).
  const clusters = boundaries(text, 'grapheme');
  let limit = 0; // a boundary known to fit (the empty prefix needs no check here)
  let high = text.length; // no boundary above this fits
  while (limit < high) {
    const mid = clusters.atOrBefore(Math.ceil((limit + high) / 2));
    const candidate = mid > limit ? mid : clusters.after(limit);
    if (candidate <= high && fits(candidate)) limit = candidate;
    else if (mid > limit) high = candidate - 1;
    else break; // no boundary between `limit` and the midpoint, and the next one does not fit
  }

  const sentence = boundaries(text, 'sentence').atOrBefore(limit);
  const word = boundaries(text, 'word').atOrBefore(limit);
  const preferred =
    sentence >= limit * MIN_SHARE_FOR_SENTENCE_CUT && text.slice(0, sentence).trim() !== ''
      ? sentence
      : word >= limit * MIN_SHARE_FOR_WORD_CUT && text.slice(0, word).trim() !== ''
        ? word
        : limit;
  const cut = preferred !== limit && fits(preferred) ? preferred : limit;
  return fits(cut) ? withEllipsis(cut) : '';
}

/** Boundaries of one kind in a text: the last one at or before an offset, the first one after it. */
interface Boundaries {
  atOrBefore(offset: number): number;
  after(offset: number): number;
}

/**
 * Finds boundaries with `Intl.Segmenter`'s `containing()`, one pass over the text per lookup
 * (iterating every segment is quadratic in V8: 20 s for 140,000 characters). Without
 * `Intl.Segmenter`: code point boundaries.
 */
function boundaries(text: string, granularity: 'grapheme' | 'word' | 'sentence'): Boundaries {
  const end = text.length;
  const segments = segmenter(granularity)?.segment(text);
  if (!segments) {
    const splitsPair = (offset: number) => isLowSurrogate(text.charCodeAt(offset)) && isHighSurrogate(text.charCodeAt(offset - 1));
    return {
      atOrBefore: (offset) => (offset >= end ? end : splitsPair(offset) ? offset - 1 : offset),
      after: (offset) => (offset >= end ? end : splitsPair(offset + 1) ? offset + 2 : offset + 1),
    };
  }
  return {
    atOrBefore: (offset) => (offset >= end ? end : segments.containing(offset)!.index),
    after: (offset) => {
      if (offset >= end) return end;
      const { index, segment } = segments.containing(offset)!;
      return index + segment.length;
    },
  };
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;
const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;

const segmenters = new Map<string, Intl.Segmenter | undefined>();

/** A locale-independent segmenter, or `undefined` where the runtime has none. */
function segmenter(granularity: 'grapheme' | 'word' | 'sentence'): Intl.Segmenter | undefined {
  if (!segmenters.has(granularity)) {
    segmenters.set(granularity, typeof Intl.Segmenter === 'function' ? new Intl.Segmenter(undefined, { granularity }) : undefined);
  }
  return segmenters.get(granularity);
}
