import { z } from 'zod';

/** A structured answer that parsed, or why it did not. */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; issues: string[] };

/**
 * Parses a model's text as JSON and validates it with a zod schema. Tolerates a ```json fence
 * around the JSON. Pure.
 *
 * ## Example
 * ```ts
 * parseStructured('{"n": 1}', z.object({ n: z.number() })); // { ok: true, value: { n: 1 } }
 * ```
 */
export function parseStructured<T>(text: string, schema: z.ZodType<T>): ParseResult<T> {
  const json = text.trim().replace(/^```(?:json)?\s*([\s\S]*?)\s*```$/, '$1');
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch (error) {
    return { ok: false, issues: [`not valid JSON: ${(error as Error).message}`] };
  }
  const result = schema.safeParse(data);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, issues: issuesOf(result.error) };
}

/** A zod error's issues as lines a model can act on: `path: message` (`(root)` for the value itself). */
export function issuesOf(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`);
}

/**
 * The JSON Schema to ask the model for, from a zod v4 schema (`z.toJSONSchema`), with every
 * constraint (`minLength`, `minimum`, `minItems`, `pattern`, ...): this is what a request's
 * `jsonSchema` carries, and what the simulated provider answers within. The Claude adapter sends
 * Claude the subset its structured outputs accept, the way the Anthropic SDK's helpers do
 * (unsupported constraints move into descriptions, `additionalProperties: false` on every
 * object); the answer is still validated against the whole zod schema. Throws zod's error for
 * types JSON Schema cannot express (dates, transforms, ...).
 *
 * ## Example
 * ```ts
 * import { jsonSchemaOf } from './structured-output.js';
 * jsonSchemaOf(z.object({ n: z.number().min(1) })); // { type: 'object', properties: { n: { type: 'number', minimum: 1 } }, ... }
 * ```
 */
export function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _ignored, ...jsonSchema } = z.toJSONSchema(schema, { io: 'output' }) as Record<string, unknown>;
  return jsonSchema;
}

/** The follow-up turn that feeds validation problems back to the model. */
export function repairPrompt(issues: readonly string[]): string {
  return `Your previous reply did not match the required JSON schema:\n${issues.map((i) => `- ${i}`).join('\n')}\nReply again with only the corrected JSON.`;
}
