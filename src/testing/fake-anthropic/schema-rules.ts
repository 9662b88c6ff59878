/**
 * What the real Messages API refuses in a structured-output schema, so the fake refuses it too
 * (HTTP 400 `invalid_request_error`) and a client that sends what Claude cannot take fails in
 * tests as it would in production. Rules from Anthropic's "JSON Schema limitations" of structured
 * outputs (`output_config.format`, the older `output_format`, and `tools[].input_schema` with
 * `strict: true`). Pure.
 * @module
 */

type Schema = Record<string, unknown>;

/** String `format`s structured outputs accept; any other `format` is refused. */
export const CLAUDE_STRING_FORMATS: ReadonlySet<string> = new Set(['date-time', 'time', 'date', 'duration', 'email', 'hostname', 'uri', 'ipv4', 'ipv6', 'uuid']);

/** Keywords structured outputs refuse wherever they appear (numeric, string-length and array constraints). */
const REFUSED_KEYWORDS = [
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'maxItems',
  'uniqueItems',
  'contains',
  'minContains',
  'maxContains',
] as const;

/** Regex features a `pattern` may not use: backreferences, lookahead/lookbehind, word boundaries. */
const UNSUPPORTED_REGEX = /\\[1-9]|\\k<|\(\?<?[=!]|\\[bB]/;

const isSchema = (value: unknown): value is Schema => typeof value === 'object' && value !== null && !Array.isArray(value);
const isPrimitive = (value: unknown): boolean => value === null || typeof value !== 'object';

/**
 * Why the real API would refuse the structured-output schemas of a Messages request body, or
 * undefined when it would take them (or the request asks for none).
 *
 * ## Example
 * ```ts
 * structuredOutputProblem({ output_config: { format: { type: 'json_schema', schema: { type: 'string', minLength: 3 } } } });
 * // "output_config.format.schema: For 'string' type, property 'minLength' is not supported"
 * ```
 */
export function structuredOutputProblem(body: Record<string, unknown> | undefined): string | undefined {
  if (!body) return undefined;
  const targets: [string, unknown][] = [];
  for (const field of ['output_config', 'output_format'] as const) {
    const holder = body[field];
    const format = field === 'output_config' && isSchema(holder) ? holder.format : holder;
    if (isSchema(format) && format.type === 'json_schema') targets.push([`${field === 'output_config' ? 'output_config.format' : 'output_format'}.schema`, format.schema]);
  }
  if (Array.isArray(body.tools)) {
    body.tools.forEach((tool: unknown, i) => {
      if (isSchema(tool) && tool.strict === true) targets.push([`tools.${i}.input_schema`, tool.input_schema]);
    });
  }
  for (const [where, schema] of targets) {
    if (!isSchema(schema)) return `${where}: must be a JSON Schema object`;
    const problem = schemaProblem(schema, { root: schema, path: where, refs: [] });
    if (problem) return problem;
  }
  return undefined;
}

interface Walk {
  root: Schema;
  path: string;
  /** `$ref`s followed to get here, to find recursion. */
  refs: readonly string[];
}

function schemaProblem(schema: Schema, walk: Walk): string | undefined {
  const { path } = walk;
  const typeName = typeof schema.type === 'string' ? schema.type : Array.isArray(schema.type) ? schema.type.join('|') : undefined;
  const forType = typeName ? `For '${typeName}' type, property` : 'Property';
  for (const keyword of REFUSED_KEYWORDS) {
    if (keyword in schema) return `${path}: ${forType} '${keyword}' is not supported`;
  }
  if ('minItems' in schema && schema.minItems !== 0 && schema.minItems !== 1) {
    return `${path}: For 'array' type, 'minItems' values other than 0 or 1 are not supported, got ${JSON.stringify(schema.minItems)}`;
  }
  if ('format' in schema && !CLAUDE_STRING_FORMATS.has(String(schema.format))) return `${path}: String format '${String(schema.format)}' is not supported`;
  if (typeof schema.pattern === 'string' && UNSUPPORTED_REGEX.test(schema.pattern)) {
    return `${path}: pattern ${JSON.stringify(schema.pattern)} uses regex features that are not supported (backreferences, lookaround, word boundaries)`;
  }
  if ('additionalProperties' in schema && schema.additionalProperties !== false) return `${path}: additionalProperties must be false`;
  if (Array.isArray(schema.enum) && !schema.enum.every(isPrimitive)) return `${path}: enum values must be strings, numbers, booleans or null`;
  if (Array.isArray(schema.allOf) && schema.allOf.some((part) => isSchema(part) && '$ref' in part)) return `${path}: allOf with $ref is not supported`;

  if (typeof schema.$ref === 'string') {
    const ref = schema.$ref;
    if (!ref.startsWith('#')) return `${path}: external $ref ${JSON.stringify(ref)} is not supported`;
    if (walk.refs.includes(ref)) return `${path}: recursive schemas are not supported ($ref ${JSON.stringify(ref)})`;
    const target = resolveRef(ref, walk.root);
    if (!isSchema(target)) return `${path}: $ref ${JSON.stringify(ref)} does not resolve`;
    const problem = schemaProblem(target, { ...walk, path: `${path}.$ref`, refs: [...walk.refs, ref] });
    if (problem) return problem;
  }

  for (const [child, sub] of subschemas(schema)) {
    const problem = schemaProblem(sub, { ...walk, path: `${path}.${child}` });
    if (problem) return problem;
  }
  return undefined;
}

/** The subschemas of a schema worth checking, with their relative paths. `$defs` are checked where they are referenced. */
function subschemas(schema: Schema): [string, Schema][] {
  const found: [string, Schema][] = [];
  if (isSchema(schema.properties)) for (const [name, sub] of Object.entries(schema.properties)) if (isSchema(sub)) found.push([`properties.${name}`, sub]);
  if (isSchema(schema.items)) found.push(['items', schema.items]);
  for (const keyword of ['anyOf', 'allOf', 'oneOf', 'prefixItems'] as const) {
    const list = schema[keyword];
    if (Array.isArray(list)) list.forEach((sub: unknown, i) => isSchema(sub) && found.push([`${keyword}.${i}`, sub]));
  }
  return found;
}

function resolveRef(ref: string, root: Schema): unknown {
  let node: unknown = root;
  for (const part of ref.replace(/^#\/?/, '').split('/').filter((p) => p !== '')) {
    if (!isSchema(node)) return undefined;
    node = node[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return node;
}
