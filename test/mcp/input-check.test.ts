import { describe, expect, it } from 'vitest';
import { jsonSchemaCheck } from '../../src/mcp/input-check.js';
import { loadMcpSdk } from '../../src/mcp/sdk.js';

const sdk = loadMcpSdk();

describe("an MCP tool's input check (the server's JSON Schema, with the SDK's ajv)", () => {
  it('names the offending property, the allowed values and the extra property', () => {
    const check = jsonSchemaCheck(sdk, {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      properties: { mode: { enum: ['fast', 'slow'] }, path: { type: 'object', properties: { 'a/b': { type: 'string' } } } },
      additionalProperties: false,
    });
    expect(check({ mode: 'fast' })).toEqual({ ok: true, value: { mode: 'fast' } });
    expect(check({ mode: 'quick', path: { 'a/b': 1 }, extra: true })).toEqual({
      ok: false,
      issues: ["(root): must NOT have additional properties: 'extra'", 'mode: must be equal to one of the allowed values: "fast", "slow"', 'path.a/b: must be string'],
    });
    expect(check(null)).toEqual({ ok: false, issues: ['(root): must be an object, got null'] });
  });

  it('reads draft 2020-12 schemas (prefixItems) when $schema says so', () => {
    const check = jsonSchemaCheck(sdk, {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: { point: { type: 'array', prefixItems: [{ type: 'number' }, { type: 'number' }], items: false } },
      required: ['point'],
    });
    expect(check({ point: [1, 2] }).ok).toBe(true);
    expect(check({ point: [1, 2, 3] })).toEqual({ ok: false, issues: ['point: must NOT have more than 2 items'] });
  });

  it('a schema ajv cannot compile is left to the server: any object passes', () => {
    const check = jsonSchemaCheck(sdk, { type: 'object', properties: { a: { $ref: '#/definitions/missing' } } });
    expect(check({ a: 1 })).toEqual({ ok: true, value: { a: 1 } });
  });
});
