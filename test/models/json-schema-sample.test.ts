import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { sampleJsonSchema } from '../../src/models/simulated/json-schema-sample.js';

const first = () => 0;
const sample = (schema: z.ZodType, pick: (count: number) => number = first) => sampleJsonSchema(z.toJSONSchema(schema) as Record<string, unknown>, pick);

describe('sampleJsonSchema', () => {
  it('produces a value that the zod schema accepts, for the shapes z.toJSONSchema emits', () => {
    const schema = z.object({
      next: z.enum(['researcher', 'coder', 'FINISH']),
      reason: z.string().min(12).max(20),
      short: z.string().max(3),
      count: z.int().min(2),
      share: z.number().gt(0).lt(1),
      step: z.number().multipleOf(5).min(7),
      negative: z.number().lt(0),
      positiveInt: z.int().positive(),
      ok: z.boolean(),
      tags: z.array(z.string()).min(2),
      optional: z.string().optional(),
      nullable: z.string().nullable(),
      literal: z.literal('hi'),
      tuple: z.tuple([z.string(), z.number()]),
      email: z.email(),
      uuid: z.uuid(),
      url: z.url(),
      when: z.iso.datetime(),
      day: z.iso.date(),
      union: z.union([z.object({ kind: z.literal('a') }), z.object({ kind: z.literal('b') })]),
      tagged: z.discriminatedUnion('k', [z.object({ k: z.literal(1) }), z.object({ k: z.literal(2) })]),
      both: z.intersection(z.object({ a: z.string() }), z.object({ b: z.number() })),
      record: z.record(z.string(), z.number()),
      nested: z.object({ list: z.array(z.object({ id: z.int(), labels: z.array(z.enum(['x', 'y'])) })) }),
    });
    const value = sample(schema);
    expect(() => schema.parse(value)).not.toThrow();
    expect(value).toMatchObject({ next: 'researcher', literal: 'hi', count: 2, share: 0.5, step: 10, negative: -1, positiveInt: 1, ok: true, optional: 'sim optional' });
  });

  it('follows $refs, including recursive ones, and stops', () => {
    interface Category {
      name: string;
      children: Category[];
    }
    const Category: z.ZodType<Category> = z.object({ name: z.string(), get children() { return z.array(Category); } });
    const value = sample(Category);
    expect(() => Category.parse(value)).not.toThrow();
    const shared = z.object({ id: z.string() }).meta({ id: 'Shared' });
    const withDefs = z.object({ a: shared, b: shared });
    expect(() => withDefs.parse(sample(withDefs))).not.toThrow();
  });

  it('picks enum values through the picker: the first with a constant picker, any with a seeded one', () => {
    const schema = z.object({ next: z.enum(['a', 'b', 'c', 'd']) });
    expect(sample(schema)).toEqual({ next: 'a' });
    expect(sample(schema, (count: number) => count - 1)).toEqual({ next: 'd' });
    expect(sample(schema, () => 99)).toEqual({ next: 'a' }); // an out-of-range pick falls back to the first
  });

  it('turns what it does not know into null', () => {
    expect(sampleJsonSchema({ not: { type: 'string' } }, first)).toBeNull();
    expect(sampleJsonSchema({ type: 'object', properties: { x: { $ref: '#/$defs/missing' } }, required: ['x'] }, first)).toEqual({ x: null });
    expect(sampleJsonSchema({ type: ['null', 'string'] }, first)).toBeNull();
    expect(sampleJsonSchema({ type: 'array' }, first)).toEqual([null]);
  });
});
