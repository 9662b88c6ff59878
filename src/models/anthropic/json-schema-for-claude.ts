/**
 * Turns a JSON Schema into one Claude's structured outputs accept: the rules of the Anthropic
 * SDK's own helpers (`transformJSONSchema` in `@anthropic-ai/sdk/lib/transform-json-schema`, used
 * by `zodOutputFormat`), ported rather than imported because that function throws on schemas zod
 * emits every day (a tuple's `items: false`, `z.unknown()`'s `{}`) and silently drops a record's
 * value schema. Differences from the SDK, each marked below: boolean subschemas and typeless
 * schemas are kept instead of throwing, `definitions` are treated like `$defs`, zod's
 * safe-integer bounds on every `int()` are dropped as noise, and a map (`additionalProperties`
 * schema and no `properties`) is refused with a clear error instead of becoming `{}`.
 * @module
 * @internal
 */
import { ModelCallError } from '../model-error.js';

type Schema = Record<string, unknown>;

/** String formats structured outputs accept (the SDK's list); others move into the description. */
const SUPPORTED_STRING_FORMATS: ReadonlySet<string> = new Set(['date-time', 'time', 'date', 'duration', 'email', 'hostname', 'uri', 'ipv4', 'ipv6', 'uuid']);

const cache = new WeakMap<object, Schema>();

/**
 * The schema to send as `output_config.format.schema`: constraints Claude does not accept
 * (`minLength`, `maxLength`, `minimum`, `maximum`, exclusive bounds, `multipleOf`, `pattern`,
 * `minItems` above 1, `maxItems`, unsupported `format`s, `default`, `prefixItems`, ...) move into
 * the `description` as `{keyword: value, ...}`, `oneOf` becomes `anyOf`, every object gets
 * `additionalProperties: false`. The caller's schema is left untouched; the result is cached per
 * schema object. The answer must still be validated against the original schema (an `llm()`
 * node's zod schema does that, and sends violations back for repair).
 *
 * ## Example
 * ```ts
 * jsonSchemaForClaude({ type: 'object', properties: { n: { type: 'integer', minimum: 1 } }, required: ['n'] });
 * // { type: 'object', properties: { n: { type: 'integer', description: '{minimum: 1}' } }, additionalProperties: false, required: ['n'] }
 * ```
 * @throws {ModelCallError} `BAD_REQUEST` for a map (an object with an `additionalProperties`
 *   schema and no `properties`, e.g. `z.record`): Claude can only answer `{}` for it
 */
export function jsonSchemaForClaude(schema: Schema): Schema {
  const hit = cache.get(schema);
  if (hit) return hit;
  const result = transform(structuredClone(schema), '#');
  cache.set(schema, result);
  return result;
}

function transform(input: unknown, path: string): Schema {
  // Not in the SDK (which throws): a boolean subschema becomes the empty schema.
  if (!isSchema(input)) return {};
  const schema: Schema = { ...input };
  const strict: Schema = {};
  const take = (key: string): unknown => {
    const value = schema[key];
    delete schema[key];
    return value;
  };

  // `$defs` first, so a root `$ref` with sibling `$defs` keeps them. Not in the SDK: `definitions` too.
  for (const key of ['$defs', 'definitions']) {
    const defs = take(key);
    if (isSchema(defs)) strict[key] = Object.fromEntries(Object.entries(defs).map(([name, def]) => [name, transform(def, `${path}/${key}/${name}`)]));
  }

  const ref = take('$ref');
  if (ref !== undefined) {
    strict.$ref = ref;
    return strict;
  }

  if (Array.isArray(schema.enum) && schema.enum.length > 0 && schema.enum.every(isPrimitive)) strict.enum = take('enum');
  if (schema.const !== undefined && isPrimitive(schema.const)) strict.const = take('const');

  const hasLiterals = 'enum' in strict || 'const' in strict;
  const declaredType = take('type');
  const type = hasLiterals ? undefined : declaredType;
  const anyOf = take('anyOf');
  const oneOf = take('oneOf');
  const allOf = take('allOf');
  take('$schema'); // names the dialect, constrains nothing

  if (Array.isArray(anyOf)) strict.anyOf = anyOf.map((variant, i) => transform(variant, `${path}/anyOf/${i}`));
  else if (Array.isArray(oneOf)) strict.anyOf = oneOf.map((variant, i) => transform(variant, `${path}/oneOf/${i}`));
  else if (Array.isArray(allOf)) strict.allOf = allOf.map((part, i) => transform(part, `${path}/allOf/${i}`));
  else if (type !== undefined) strict.type = type;
  // Not in the SDK (which throws here): a typeless schema (`z.unknown()`, `z.any()`) stays typeless.

  const description = take('description');
  if (description !== undefined) strict.description = description;
  const title = take('title');
  if (title !== undefined) strict.title = title;

  if (type === 'object') {
    const properties = take('properties');
    const additional = take('additionalProperties');
    // Not in the SDK (which drops the value schema, so Claude can only ever answer `{}`): refuse a map.
    if (!isSchema(properties) && isSchema(additional) && Object.keys(additional).length > 0) {
      throw new ModelCallError(
        'BAD_REQUEST',
        `output schema at ${path}: an object with an additionalProperties schema (a map, e.g. z.record) cannot be expressed in Claude's structured outputs, which require additionalProperties: false; use an array of { key, value } objects`,
        { provider: 'anthropic' },
      );
    }
    strict.properties = Object.fromEntries(Object.entries(isSchema(properties) ? properties : {}).map(([name, sub]) => [name, transform(sub, `${path}/properties/${name}`)]));
    strict.additionalProperties = false;
    const required = take('required');
    if (required !== undefined) strict.required = required;
  } else if (type === 'string') {
    const format = take('format');
    if (typeof format === 'string' && SUPPORTED_STRING_FORMATS.has(format)) strict.format = format;
    else if (format !== undefined) schema.format = format;
  } else if (type === 'array') {
    const items = take('items');
    if (isSchema(items)) strict.items = transform(items, `${path}/items`);
    else if (items !== undefined) schema.items = items; // Not in the SDK: a tuple's `items: false` is described, not sent
    const minItems = take('minItems');
    if (minItems === 0 || minItems === 1) strict.minItems = minItems;
    else if (minItems !== undefined) schema.minItems = minItems;
  } else if (type === 'integer') {
    // Not in the SDK: zod bounds every `int()` by the safe integers; that is noise in a description.
    if (schema.minimum === Number.MIN_SAFE_INTEGER) delete schema.minimum;
    if (schema.maximum === Number.MAX_SAFE_INTEGER) delete schema.maximum;
  }

  // Whatever is left is a constraint Claude does not enforce: tell it in the description.
  const rest = Object.entries(schema);
  if (rest.length > 0) {
    const existing = typeof strict.description === 'string' && strict.description !== '' ? `${strict.description}\n\n` : '';
    strict.description = `${existing}{${rest.map(([key, value]) => `${key}: ${JSON.stringify(value)}`).join(', ')}}`;
  }
  return strict;
}

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPrimitive(value: unknown): boolean {
  return value === null || typeof value !== 'object';
}
