/** What a checkpoint can hold: plain JSON data survives; everything that would come back different is named, with its path. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkSerializable, findUnserializable, isStoreError, isValueNotSerializableError, ValueNotSerializableError } from 'rx-orchestra/store';

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

/** The value with every -0 replaced by 0. */
const withoutNegativeZero = (value: unknown): unknown =>
  Object.is(value, -0)
    ? 0
    : Array.isArray(value)
      ? value.map(withoutNegativeZero)
      : value !== null && typeof value === 'object'
        ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutNegativeZero(v)]))
        : value;

const cyclic: Record<string, unknown> = { name: 'loop' };
cyclic.self = { back: cyclic };

describe('findUnserializable', () => {
  it.each([
    ['a function', { f: function helper() {} }, 'value.f', /a function \(helper\)/],
    ['a BigInt', { tokens: 10n }, 'value.tokens', /a BigInt \(10n/],
    ['a symbol', [Symbol('s')], 'value[0]', /a symbol/],
    ['NaN', { score: NaN }, 'value.score', /NaN/],
    ['Infinity', { score: -Infinity }, 'value.score', /-Infinity/],
    ['undefined in an array', [1, undefined], 'value[1]', /undefined inside an array/],
    ['a hole in a sparse array', [1, , 3], 'value[1]', /sparse array/], // eslint-disable-line no-sparse-arrays
    ['a cycle', cyclic, 'value.self.back', /a cycle \(it refers back to value\)/],
    ['a Date', { when: new Date(0) }, 'value.when', /a Date instance .*toISOString/],
    ['a Map', { byId: new Map() }, 'value.byId', /a Map instance/],
    ['a Set', { tags: new Set(['a']) }, 'value.tags', /a Set instance/],
    ['an Error', { cause: new Error('x') }, 'value.cause', /an Error instance/],
    ['a Buffer', { bytes: Buffer.from('x') }, 'value.bytes', /a Buffer instance/],
    ['a class instance', { at: new Point(1, 2) }, 'value.at', /a Point instance .*without its prototype/],
    ['a symbol key', { [Symbol('k')]: 1 }, 'value', /symbol key/],
    ['an odd key', { 'a key': { deep: [() => 1] } }, 'value["a key"].deep[0]', /a function/],
    ['a bare BigInt', 5n, 'value', /BigInt/],
  ])('names %s and where it is', (_, value, path, reason) => {
    const problem = findUnserializable(value);
    expect(problem?.path).toBe(path);
    expect(problem?.reason).toMatch(reason);
  });

  it.each([
    ['text', 'a long answer'],
    ['null', null],
    ['undefined as the whole value', undefined],
    ['a structured answer', { title: 'RxJS', sections: [{ h: 'Schedulers', words: 120, draft: false }], meta: null }],
    ['an undefined property (it reads back as undefined)', { a: 1, b: undefined }],
    ['a shared, non-cyclic reference', (() => { const shared = { x: 1 }; return { a: shared, b: shared }; })()],
    ['a prototype-less record (as node inputs are)', Object.assign(Object.create(null) as object, { a: 1 })],
  ])('accepts %s, which comes back equal', (_, value) => {
    expect(findUnserializable(value)).toBeUndefined();
    const back = value === undefined ? undefined : JSON.parse(JSON.stringify(value));
    expect(back).toEqual(value);
  });

  it('accepts every JSON value, and each comes back deep-equal, -0 as 0 (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(findUnserializable(value)).toBeUndefined();
        expect(JSON.parse(JSON.stringify(value))).toEqual(withoutNegativeZero(value));
      }),
      { numRuns: 300 },
    );
  });

  it('accepts -0, which comes back as 0 (the one documented loss)', () => {
    expect(findUnserializable({ delta: -0 })).toBeUndefined();
    expect(Object.is(JSON.parse(JSON.stringify({ delta: -0 })).delta, 0)).toBe(true);
  });
});

describe('checkSerializable', () => {
  it('throws a typed, non-retryable error naming the node and the path', () => {
    const error = (() => {
      try {
        checkSerializable('outline', { sections: [{ when: new Date(0) }] }, 'run-1');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ValueNotSerializableError);
    expect(isValueNotSerializableError(error) && isStoreError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'UNSERIALIZABLE_VALUE', nodeId: 'outline', runId: 'run-1', path: 'value.sections[0].when', retryable: false });
    expect((error as Error).message).toMatch(/^node 'outline': its value cannot be checkpointed: value\.sections\[0\]\.when is a Date instance/);
  });
});
