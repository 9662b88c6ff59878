/**
 * A small, deterministic JSON Schema instance generator: what the simulated model answers when a
 * request asks for structured output. It covers what `z.toJSONSchema` emits for everyday schemas:
 * `object` (every property, required or not), `string` (`minLength`/`maxLength`, formats `email`,
 * `uuid`, `uri`, `date-time`, `date`, `time`, `ipv4`), `number`/`integer` (`minimum`, `maximum`,
 * exclusive bounds, `multipleOf`), `boolean`, `null`, `array` (`prefixItems`, then one item or
 * `minItems`), `enum`, `const`, `anyOf`/`oneOf` (the first branch), `allOf` (merged), a `type`
 * list (the first type) and local `$ref`s (`#/$defs/...`). Anything else becomes `null`;
 * `pattern`s without a known format are not honoured.
 * @module
 */

type Schema = Record<string, unknown>;

/** Chooses an index below `count` for an `enum`: always 0 for the first value, or a seeded pick. */
export type EnumPicker = (count: number) => number;

/** Past this depth (recursive `$ref`s), arrays get their minimum length and objects their required properties only. */
const MAX_DEPTH = 8;
/** A schema that cannot end (a required property that contains itself) is cut here with `null`. */
const HARD_DEPTH = 64;

const FORMAT_SAMPLES: Record<string, string> = {
  email: 'sim@example.com',
  uuid: '00000000-0000-4000-8000-000000000000',
  uri: 'https://example.com/sim',
  url: 'https://example.com/sim',
  'date-time': '2025-01-01T00:00:00Z',
  date: '2025-01-01',
  time: '00:00:00',
  ipv4: '192.0.2.1',
};

/**
 * A value that conforms to `schema`.
 *
 * ## Example
 * ```ts
 * sampleJsonSchema({ type: 'object', properties: { next: { enum: ['coder', 'FINISH'] } }, required: ['next'] }, () => 0);
 * // { next: 'coder' }
 * ```
 * @param schema a JSON Schema (draft 2020-12 or 7)
 * @param pickEnum chooses among `enum` values
 * @internal
 */
export function sampleJsonSchema(schema: Schema, pickEnum: EnumPicker): unknown {
  return sample(schema, { root: schema, pickEnum, depth: 0, key: undefined });
}

interface Context {
  root: Schema;
  pickEnum: EnumPicker;
  depth: number;
  /** The property this value is for, used to make strings readable. */
  key: string | undefined;
}

function sample(schema: unknown, context: Context): unknown {
  if (!isSchema(schema) || context.depth > HARD_DEPTH) return null;
  const deeper = (sub: unknown, key = context.key) => sample(sub, { ...context, depth: context.depth + 1, key });

  if (typeof schema.$ref === 'string') return deeper(resolveRef(schema.$ref, context.root));
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[clampIndex(context.pickEnum(schema.enum.length), schema.enum.length)];
  for (const keyword of ['anyOf', 'oneOf'] as const) {
    const branches = schema[keyword];
    if (Array.isArray(branches) && branches.length > 0) return deeper({ ...without(schema, keyword), ...asSchema(branches[0]) });
  }
  if (Array.isArray(schema.allOf) && schema.allOf.length > 0) return deeper(schema.allOf.reduce<Schema>((merged, part) => mergeSchemas(merged, asSchema(part)), without(schema, 'allOf')));

  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type ?? (isSchema(schema.properties) ? 'object' : schema.items !== undefined || schema.prefixItems !== undefined ? 'array' : undefined);
  switch (type) {
    case 'object':
      return sampleObject(schema, context, deeper);
    case 'array':
      return sampleArray(schema, context, deeper);
    case 'string':
      return sampleString(schema, context.key);
    case 'number':
    case 'integer':
      return sampleNumber(schema, type === 'integer');
    case 'boolean':
      return true;
    default:
      return null;
  }
}

function sampleObject(schema: Schema, context: Context, deeper: (sub: unknown, key?: string) => unknown): Record<string, unknown> {
  const properties = isSchema(schema.properties) ? schema.properties : {};
  const required = new Set(Array.isArray(schema.required) ? schema.required.filter((name): name is string => typeof name === 'string') : []);
  const value: Record<string, unknown> = {};
  const shallow = context.depth < MAX_DEPTH;
  for (const [name, sub] of Object.entries(properties)) if (shallow || required.has(name)) value[name] = deeper(sub, name);
  for (const name of required) if (!(name in value)) value[name] = isSchema(schema.additionalProperties) ? deeper(schema.additionalProperties, name) : null;
  return value;
}

function sampleArray(schema: Schema, context: Context, deeper: (sub: unknown) => unknown): unknown[] {
  const prefix = Array.isArray(schema.prefixItems) ? schema.prefixItems : [];
  const minItems = typeof schema.minItems === 'number' ? schema.minItems : 0;
  const maxItems = typeof schema.maxItems === 'number' ? schema.maxItems : Infinity;
  const wanted = Math.min(maxItems, Math.max(minItems, context.depth < MAX_DEPTH ? Math.max(1, prefix.length) : 0));
  const items = schema.items === false ? undefined : schema.items;
  const value: unknown[] = [];
  for (let i = 0; i < wanted; i++) {
    if (i < prefix.length) value.push(deeper(prefix[i]));
    else if (items !== undefined) value.push(deeper(items));
    else if (prefix.length === 0) value.push(null); // no item schema: anything goes
    else break;
  }
  return value;
}

function sampleString(schema: Schema, key: string | undefined): string {
  const format = typeof schema.format === 'string' ? FORMAT_SAMPLES[schema.format] : undefined;
  if (format !== undefined) return format;
  const minLength = typeof schema.minLength === 'number' ? schema.minLength : 0;
  const maxLength = typeof schema.maxLength === 'number' ? schema.maxLength : Infinity;
  const base = `sim ${key ?? 'text'}`;
  return base.padEnd(minLength, '.').slice(0, maxLength);
}

function sampleNumber(schema: Schema, integer: boolean): number {
  const num = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
  const step = num(schema.multipleOf);
  const exclusiveMin = num(schema.exclusiveMinimum);
  const exclusiveMax = num(schema.exclusiveMaximum);
  let lo = num(schema.minimum) ?? -Infinity;
  let hi = num(schema.maximum) ?? Infinity;
  if (exclusiveMin !== undefined) lo = Math.max(lo, integer || step !== undefined ? Math.floor(exclusiveMin) + 1 : exclusiveMin);
  if (exclusiveMax !== undefined) hi = Math.min(hi, integer || step !== undefined ? Math.ceil(exclusiveMax) - 1 : exclusiveMax);
  const strictLo = exclusiveMin !== undefined && lo === exclusiveMin;
  const strictHi = exclusiveMax !== undefined && hi === exclusiveMax;
  // 0 when allowed, else the nearest bound; an open interval gets its midpoint (or a step inside).
  let value = Math.min(Math.max(0, lo), hi);
  if ((strictLo && value <= lo) || (strictHi && value >= hi)) value = Number.isFinite(lo) && Number.isFinite(hi) ? (lo + hi) / 2 : strictLo ? lo + 1 : hi - 1;
  if (integer) value = Math.ceil(value) <= hi ? Math.ceil(value) : Math.floor(value);
  if (step !== undefined && step > 0) {
    const up = Math.ceil(value / step) * step;
    value = up <= hi ? up : Math.floor(value / step) * step;
  }
  return value;
}

function resolveRef(ref: string, root: Schema): unknown {
  if (ref === '#') return root;
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = root;
  for (const part of ref.slice(2).split('/')) {
    if (!isSchema(node)) return undefined;
    node = node[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return node;
}

function mergeSchemas(a: Schema, b: Schema): Schema {
  const properties = isSchema(a.properties) || isSchema(b.properties) ? { ...asSchema(a.properties), ...asSchema(b.properties) } : undefined;
  const required = [...(Array.isArray(a.required) ? a.required : []), ...(Array.isArray(b.required) ? b.required : [])];
  return { ...a, ...b, ...(properties ? { properties } : {}), ...(required.length > 0 ? { required } : {}) };
}

function without(schema: Schema, keyword: string): Schema {
  const rest = { ...schema };
  delete rest[keyword];
  return rest;
}

function clampIndex(index: number, count: number): number {
  return Number.isInteger(index) && index >= 0 && index < count ? index : 0;
}

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asSchema(value: unknown): Schema {
  return isSchema(value) ? value : {};
}
