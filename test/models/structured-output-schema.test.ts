/**
 * Structured output asks Claude only for JSON Schema it accepts: the real SDK over real HTTP
 * against the fake Messages API, which refuses (400 invalid_request_error) what the real API
 * refuses. Constraints Claude cannot enforce travel in descriptions; zod still checks them all.
 */
import Anthropic, { BadRequestError } from '@anthropic-ai/sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { anthropicModel, collect, execute, graph, llm, simulatedModel, type Model } from 'rx-orchestra';
import { jsonSchemaOf } from '../../src/nodes/structured-output.js';
import { startFakeAnthropic, type FakeAnthropic } from 'rx-orchestra/testing';
import { jsonSchemaForClaude } from '../../src/models/anthropic/json-schema-for-claude.js';
import { structuredOutputProblem } from '../../src/testing/fake-anthropic/schema-rules.js';

let server: FakeAnthropic;
let claude: Model;

beforeEach(async () => {
  server = await startFakeAnthropic();
  claude = anthropicModel({ apiKey: 'sk-ant-test-structured', baseURL: server.baseURL, model: 'claude-sonnet-4-6' });
});
afterEach(() => server.close());

/** Every keyword the real API refuses, in one everyday schema. */
const Report = z.object({
  title: z.string().min(3).max(80),
  slug: z.string().regex(/^[a-z-]+$/),
  contact: z.email(),
  homepage: z.url(),
  score: z.number().min(0).max(10),
  ratio: z.number().gt(0).lt(1),
  count: z.number().int().multipleOf(2),
  tags: z.array(z.string()).min(2).max(5),
  steps: z.array(z.object({ name: z.string().min(1), minutes: z.number().int().positive() })).nonempty(),
  pair: z.tuple([z.string(), z.number()]),
  note: z.string().optional(),
  when: z.iso.date().nullable(),
});

const valid = {
  title: 'RxJS time',
  slug: 'rxjs-time',
  contact: 'ada@example.com',
  homepage: 'https://example.com',
  score: 7,
  ratio: 0.5,
  count: 4,
  tags: ['a', 'b'],
  steps: [{ name: 'read', minutes: 5 }],
  pair: ['x', 1],
  when: null,
};

const sentSchema = (index: number) =>
  (server.requests[index]!.body as { output_config: { format: { type: string; schema: Record<string, unknown> } } }).output_config.format.schema;

/** Every object node of a JSON Schema, with its path. */
function objectsOf(schema: unknown, path = '#'): [string, Record<string, unknown>][] {
  if (typeof schema !== 'object' || schema === null) return [];
  const node = schema as Record<string, unknown>;
  const here: [string, Record<string, unknown>][] = node.type === 'object' ? [[path, node]] : [];
  const children = Object.entries(node).flatMap(([key, value]) =>
    key === 'properties' && typeof value === 'object' && value !== null
      ? Object.entries(value).flatMap(([name, sub]) => objectsOf(sub, `${path}/properties/${name}`))
      : Array.isArray(value)
        ? value.flatMap((sub, i) => objectsOf(sub, `${path}/${key}/${i}`))
        : typeof value === 'object'
          ? objectsOf(value, `${path}/${key}`)
          : [],
  );
  return [...here, ...children];
}

describe('structured output: a schema Claude accepts', () => {
  it('the fake refuses the raw zod JSON Schema with a 400 invalid_request_error, as the real API does', async () => {
    const client = new Anthropic({ apiKey: 'sk-ant-test-structured', baseURL: server.baseURL, maxRetries: 0 });
    const error = await client.messages
      .create({ model: 'claude-sonnet-4-6', max_tokens: 64, messages: [{ role: 'user', content: 'x' }], output_config: { format: { type: 'json_schema', schema: jsonSchemaOf(Report) } } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error).toMatchObject({ status: 400, type: 'invalid_request_error', apiMessage: expect.stringMatching(/not supported/) });
  });

  it('an llm() node with min/max/regex/int/array-length constraints succeeds over HTTP; the sent schema has none of them', async () => {
    server.reply({ text: JSON.stringify(valid) });
    const result = await collect(execute(graph().node('report', { run: llm({ prompt: () => 'report', schema: Report }) }).build(), { model: claude }));
    expect(result.outcomes.report).toMatchObject({ status: 'succeeded', value: valid });
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]!.status).toBe(200);
    const schema = sentSchema(0);
    expect(structuredOutputProblem({ output_config: { format: { type: 'json_schema', schema } } })).toBeUndefined();
    const text = JSON.stringify(schema);
    for (const keyword of ['minLength', 'maxLength', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf', 'maxItems', 'pattern', 'prefixItems']) {
      expect(text).not.toContain(`"${keyword}"`);
    }
    // ...but Claude is still told: each constraint moved into its property's description.
    const props = schema.properties as Record<string, { description?: string; minItems?: number; format?: string }>;
    expect(props.title!.description).toBe('{minLength: 3, maxLength: 80}');
    expect(props.score!.description).toBe('{minimum: 0, maximum: 10}');
    expect(props.tags!.description).toContain('minItems: 2');
    expect(props.steps!.minItems).toBe(1); // 0 and 1 are accepted and stay
    expect(props.contact!.format).toBe('email'); // a supported format stays; its pattern moves
    expect(props.contact!.description).toContain('pattern');
    expect(props.pair!.description).toContain('prefixItems');
    // additionalProperties: false on every object.
    for (const [path, node] of objectsOf(schema)) expect([path, node.additionalProperties]).toEqual([path, false]);
  });

  it('zod still validates every moved constraint: a too-short array and a too-large score are sent back for repair', async () => {
    server.reply({ text: JSON.stringify({ ...valid, tags: ['only'], score: 11 }) }, { text: JSON.stringify(valid) });
    const result = await collect(execute(graph().node('report', { run: llm({ prompt: () => 'report', schema: Report }) }).build(), { model: claude }));
    expect(result.outcomes.report).toMatchObject({ status: 'succeeded', value: valid });
    const repair = server.requests[1]!.body as { messages: { role: string; content: string }[] };
    expect(repair.messages[2]!.content).toMatch(/tags: Too small/);
    expect(repair.messages[2]!.content).toMatch(/score: Too big/);
  });

  it('a record (z.record) cannot be expressed for Claude: a clear BAD_REQUEST before any HTTP request, not retried', async () => {
    const Scores = z.object({ scores: z.record(z.string(), z.number()) });
    const result = await collect(
      execute(graph().node('scores', { run: llm({ prompt: () => 'scores', schema: Scores }), retry: { count: 2, initialDelay: 1 } }).build(), { model: claude }),
    );
    expect(result.outcomes.scores).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'BAD_REQUEST', retryable: false } });
    expect(result.outcomes.scores.status === 'failed' && result.outcomes.scores.error.message).toMatch(/#\/properties\/scores.*additionalProperties/);
    expect(server.requests).toHaveLength(0);
  });

  it('the simulated provider still answers within every constraint (it gets the full schema, the transform is Claude-only)', async () => {
    const Simulated = Report.omit({ slug: true }); // the simulated model does not honour free-form patterns (documented)
    const node = llm({ prompt: () => 'report', schema: Simulated, repairs: 0 });
    const result = await collect(execute(graph().node('report', { run: node }).build(), { model: simulatedModel({ latency: { medianMs: 1, p95Ms: 1 } }) }));
    expect(result.outcomes.report.status).toBe('succeeded');
  });
});

describe('jsonSchemaForClaude: the SDK helper rules', () => {
  it('turns oneOf into anyOf, keeps $defs and $ref, drops the type beside enum/const, keeps integer/nullable types', () => {
    const Shape = z.discriminatedUnion('kind', [z.object({ kind: z.literal('a') }), z.object({ kind: z.literal('b'), n: z.number().int() })]);
    const out = jsonSchemaForClaude(z.toJSONSchema(z.object({ s: Shape, e: z.enum(['x', 'y']), n: z.string().nullable() }), { reused: 'ref' }) as Record<string, unknown>);
    expect(out).not.toHaveProperty('$schema');
    const props = out.properties as Record<string, Record<string, unknown>>;
    expect(props.s!.anyOf).toHaveLength(2);
    expect(props.s!).not.toHaveProperty('oneOf');
    expect(props.e).toEqual({ enum: ['x', 'y'] });
    expect(props.n).toEqual({ type: ['string', 'null'] });
    // Number.MIN/MAX_SAFE_INTEGER bounds that zod adds to every int are noise, not constraints.
    const n = ((props.s!.anyOf as Record<string, unknown>[])[1]!.properties as Record<string, Record<string, unknown>>).n!;
    expect(n).toEqual({ type: 'integer' });
  });

  it('leaves the input untouched and caches per schema object', () => {
    const input = jsonSchemaOf(Report);
    const copy = structuredClone(input);
    const out = jsonSchemaForClaude(input);
    expect(input).toEqual(copy);
    expect(jsonSchemaForClaude(input)).toBe(out);
  });

  it('the fake refuses recursion, unsupported formats, complex enums, lookaround patterns and non-false additionalProperties', () => {
    const refused = (schema: Record<string, unknown>) => structuredOutputProblem({ output_config: { format: { type: 'json_schema', schema } } });
    expect(refused({ type: 'object', properties: { kids: { type: 'array', items: { $ref: '#' } } } })).toMatch(/recursive/);
    expect(refused({ type: 'string', format: 'ipv7' })).toMatch(/format/);
    expect(refused({ enum: [{ a: 1 }] })).toMatch(/enum/);
    expect(refused({ type: 'string', pattern: '^(?=a)a$' })).toMatch(/pattern/);
    expect(refused({ type: 'string', pattern: '^[a-z]+$' })).toBeUndefined();
    expect(refused({ type: 'object', additionalProperties: true })).toMatch(/additionalProperties/);
    expect(refused({ type: 'array', minItems: 1, items: { type: 'string' } })).toBeUndefined();
    expect(structuredOutputProblem({ tools: [{ name: 't', strict: true, input_schema: { type: 'integer', maximum: 3 } }] })).toMatch(/maximum/);
  });
});
