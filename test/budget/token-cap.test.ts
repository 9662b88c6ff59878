import { afterEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { isOptionsError } from 'rx-orchestra';
import { capTokens, estimateTokens } from '../../src/budget/index.js';

const graphemeEnds = (text: string) => new Set([0, ...[...new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(text)].map((s) => s.index + s.segment.length)]);
const wellFormed = (text: string) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);
const codePoints = (text: string) => [...text].length;
const words = (text: string) => text.split(/\s+/).filter(Boolean).length;

describe('estimateTokens', () => {
  it('is ceil(UTF-16 length / 4), as the simulated provider counts', () => {
    expect(estimateTokens('')).toBe(0);
    expect(estimateTokens('abcd')).toBe(1);
    expect(estimateTokens('abcde')).toBe(2);
    expect(estimateTokens('x'.repeat(800))).toBe(200);
    expect(estimateTokens('😀')).toBe(1); // two UTF-16 units
    expect(estimateTokens('안녕하세요')).toBe(2); // undercounts Hangul: pass tokensOf for real counts
  });
});

describe('capTokens', () => {
  it('returns a text within the cap unchanged', () => {
    const text = 'x'.repeat(800);
    expect(capTokens(text, 200)).toBe(text);
    expect(capTokens('', 0)).toBe('');
    expect(capTokens('  padded  ', 3)).toBe('  padded  ');
  });

  it('cuts at the end of a sentence when that keeps two thirds of what fits', () => {
    // 5 tokens = 20 characters, 2 of them for ' …': at most 18 kept; the first sentence has 14.
    expect(capTokens('One two three. Four five six seven eight nine.', 5)).toBe('One two three. …');
    // 7 tokens: 26 kept would fit; the sentence (15 with its space) is under two thirds of that, so the cut falls between words.
    expect(capTokens('One two three. Four five six seven eight nine.', 7)).toBe('One two three. Four five …');
  });

  it('cuts between words when no sentence end is close enough', () => {
    expect(capTokens('alpha beta gamma delta epsilon zeta eta theta', 5)).toBe('alpha beta gamma …');
    expect(capTokens('alpha beta gamma delta epsilon zeta eta theta', 5, { ellipsis: '' })).toBe('alpha beta gamma');
  });

  it('cuts inside a long word only when a word cut would lose more than half', () => {
    expect(capTokens('https://example.com/a-very-long-path-without-breaks', 5, { ellipsis: '' })).toBe('https://example.com/');
    expect(capTokens('Supercalifragilisticexpialidocious', 3)).toBe('Supercalif …');
  });

  it('counts the ellipsis toward the cap, and honours a custom one', () => {
    expect(capTokens('abcdefgh', 1)).toBe('ab …');
    expect(capTokens('abcdefgh', 1, { ellipsis: '...' })).toBe('a...');
    expect(capTokens('abcdefgh', 1, { ellipsis: '' })).toBe('abcd');
    expect(capTokens('abcdefgh', 1, { ellipsis: '[truncated]' })).toBe(''); // the ellipsis alone is over the cap
    expect(capTokens('abcdefgh', 0)).toBe('');
  });

  it('uses a custom token counter', () => {
    expect(capTokens('a b c d e f', 3, { tokensOf: words, ellipsis: '' })).toBe('a b c');
    expect(capTokens('a b c d e f', 3, { tokensOf: words })).toBe('a b …'); // '…' counts as a word
  });

  it('cuts Korean, Chinese and Japanese text at their sentence and word boundaries', () => {
    const korean = '안녕하세요. 오늘은 날씨가 좋습니다. 우리는 공원에 갑니다. 그리고 점심을 먹습니다.';
    expect(capTokens(korean, 22, { tokensOf: codePoints })).toBe('안녕하세요. 오늘은 날씨가 좋습니다. …'); // two sentences are 20
    expect(capTokens(korean, 20, { tokensOf: codePoints })).toBe('안녕하세요. 오늘은 날씨가 …'); // 18 fit: the cut falls between words
    const chinese = '我们今天去公园。然后我们吃午饭。最后回家睡觉。';
    expect(capTokens(chinese, 12, { tokensOf: codePoints, ellipsis: '…' })).toBe('我们今天去公园。…');
    const japanese = '今日は天気がいいです。公園に行きます。';
    expect(capTokens(japanese, 14, { tokensOf: codePoints, ellipsis: '…' })).toBe('今日は天気がいいです。…');
  });

  it('never splits a grapheme cluster: emoji sequences, flags, combining marks, Hangul jamo', () => {
    const family = '👨‍👩‍👧‍👦'; // 11 UTF-16 units, one grapheme
    expect(capTokens(family.repeat(4), 5)).toBe(`${family} …`); // 18 units fit: one family, not a piece of the second
    expect(capTokens(family.repeat(4), 3)).toBe('…'); // 10 units fit: not even one family
    const length = (text: string) => text.length;
    expect(capTokens('🇰🇷🇯🇵🇺🇸', 6, { tokensOf: length, ellipsis: '' })).toBe('🇰🇷'); // flags are 4 units
    expect(capTokens('e\u0301'.repeat(5), 5, { tokensOf: length, ellipsis: '' })).toBe('e\u0301'.repeat(2));
    const han = '\u1112\u1161\u11ab'; // 한 as three conjoining jamo
    expect(capTokens(han.repeat(5), 8, { tokensOf: length, ellipsis: '' })).toBe(han.repeat(2));
    expect(capTokens('a😀😀😀😀', 4, { tokensOf: length, ellipsis: '' })).toBe('a😀');
  });

  it('stays well-formed around lone surrogates in the input', () => {
    const result = capTokens('ab\uD83Dcd😀efgh'.repeat(3), 3, { ellipsis: '' });
    expect(result.length).toBeLessThanOrEqual(12);
    expect('ab\uD83Dcd😀efgh'.repeat(3).startsWith(result)).toBe(true);
  });

  it('is fast on long texts (no quadratic segment walk)', () => {
    const text = 'Lorem ipsum dolor sit amet. '.repeat(10_000); // 280,000 characters
    const start = performance.now();
    const result = capTokens(text, 200);
    expect(performance.now() - start).toBeLessThan(2_000);
    expect(result).toBe(`${'Lorem ipsum dolor sit amet. '.repeat(28).trimEnd()} …`); // 28 sentences = 784 characters
  });

  it('rejects a bad cap or option, naming it', () => {
    for (const [run, field] of [
      [() => capTokens('x', -1), 'maxTokens'],
      [() => capTokens('x', 1.5), 'maxTokens'],
      [() => capTokens('x', NaN), 'maxTokens'],
      [() => capTokens('x', 1, { ellipsis: 5 as never }), 'ellipsis'],
      [() => capTokens('x', 1, { tokensOf: 'chars' as never }), 'tokensOf'],
    ] as const) {
      let error: unknown;
      try {
        run();
      } catch (e) {
        error = e;
      }
      expect(isOptionsError(error, 'budget') && error.field).toBe(field);
    }
  });

  it('property: never over the cap, a prefix of the text cut between graphemes, well-formed', () => {
    const piece = fc.oneof(
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }),
      fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 12 }),
      fc.constantFrom(' ', '  ', '. ', '.', '\n', '。', '! ', '? ', '👨‍👩‍👧‍👦', 'e\u0301', '🇰🇷', '한국어 '),
    );
    const text = fc.array(piece, { maxLength: 40 }).map((parts) => parts.join(''));
    const counter = fc.constantFrom<[string, ((t: string) => number) | undefined]>(['default', undefined], ['code points', codePoints], ['words', words]);
    fc.assert(
      fc.property(text, fc.integer({ min: 0, max: 60 }), fc.constantFrom('', ' …', '…', '...', ' [more]'), counter, (input, maxTokens, ellipsis, [, tokensOf]) => {
        const count = tokensOf ?? estimateTokens;
        const result = capTokens(input, maxTokens, { ellipsis, ...(tokensOf ? { tokensOf } : {}) });
        expect(count(result)).toBeLessThanOrEqual(maxTokens);
        expect(wellFormed(result)).toBe(true);
        if (count(input) <= maxTokens) {
          expect(result).toBe(input);
          return;
        }
        if (result === '' || result === ellipsis.trimStart()) return;
        expect(result.endsWith(ellipsis)).toBe(true);
        const kept = result.slice(0, result.length - ellipsis.length);
        expect(input.startsWith(kept)).toBe(true);
        expect(graphemeEnds(input).has(kept.length)).toBe(true);
        expect(kept).toBe(kept.trimEnd());
        expect(kept.trim()).not.toBe('');
      }),
      { numRuns: 1_000 },
    );
  });
});

describe('capTokens without Intl.Segmenter', () => {
  const original = Intl.Segmenter;
  afterEach(() => {
    Object.defineProperty(Intl, 'Segmenter', { value: original, configurable: true, writable: true });
    vi.resetModules();
  });

  it('falls back to code points: never splits a surrogate pair', async () => {
    Object.defineProperty(Intl, 'Segmenter', { value: undefined, configurable: true, writable: true });
    vi.resetModules();
    const fresh = await import('../../src/budget/token-cap.js');
    const length = (text: string) => text.length;
    expect(fresh.capTokens('a😀😀😀', 4, { tokensOf: length, ellipsis: '' })).toBe('a😀');
    expect(fresh.capTokens('😀😀😀', 3, { tokensOf: length, ellipsis: '' })).toBe('😀');
    expect(fresh.capTokens('alpha beta gamma delta', 4, { ellipsis: '' })).toBe('alpha beta gamma');
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.integer({ min: 0, max: 12 }), (input, maxTokens) => {
        const result = fresh.capTokens(input, maxTokens, { ellipsis: '' });
        expect(estimateTokens(result)).toBeLessThanOrEqual(maxTokens);
        expect(input.startsWith(result)).toBe(true);
        if (wellFormed(input)) expect(wellFormed(result)).toBe(true);
      }),
    );
  });
});
