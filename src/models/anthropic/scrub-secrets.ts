/**
 * Keeps the API key out of everything that leaves the Anthropic adapter: an error body that echoes
 * the request's `x-api-key` or `Authorization` header (some proxies and gateways do) would
 * otherwise carry the key into error messages, stacks, causes, run events, logs, run log files,
 * the dashboard and the CLI. Redacting field names is not enough there: the key's value sits
 * inside a message string, so the value itself is replaced.
 * @module
 * @internal
 */

/** What a secret's value is replaced with. */
export const SECRET_CENSOR = '[REDACTED]';

/**
 * Values shorter than this are not scrubbed: they are not real keys (Anthropic keys are ~100
 * characters), and replacing a short word everywhere would mangle messages.
 */
const MIN_SECRET_LENGTH = 8;

/** Past this depth (nested causes and bodies), values are kept as they are. */
const MAX_DEPTH = 8;

/**
 * The credentials a client sends (`x-api-key`, `Authorization: Bearer`), as the secrets to scrub.
 *
 * ## Example
 * ```ts
 * secretsOf(new Anthropic({ apiKey: 'sk-ant-...' })); // ['sk-ant-...']
 * ```
 */
export function secretsOf(client: { apiKey?: unknown; authToken?: unknown }): string[] {
  return [client.apiKey, client.authToken].filter((value): value is string => typeof value === 'string' && value.length >= MIN_SECRET_LENGTH);
}

/**
 * A copy of `value` with every occurrence of each secret replaced by `[REDACTED]`: in strings, in
 * errors (message, stack, cause and every own property, keeping the error's class), in `Headers`,
 * arrays and plain objects, recursively. Values that hold no secret are returned as they are, so
 * nothing is copied on the common path.
 *
 * ## Example
 * ```ts
 * scrubSecrets(new Error('echo: x-api-key sk-ant-123456789'), ['sk-ant-123456789']).message; // 'echo: x-api-key [REDACTED]'
 * ```
 */
export function scrubSecrets<T>(value: T, secrets: readonly string[]): T {
  const active = secrets.filter((secret) => secret.length >= MIN_SECRET_LENGTH);
  if (active.length === 0) return value;
  return scrub(value, active, new Map(), 0) as T;
}

function scrub(value: unknown, secrets: readonly string[], seen: Map<object, unknown>, depth: number): unknown {
  if (typeof value === 'string') return secrets.reduce((text, secret) => (text.includes(secret) ? text.split(secret).join(SECRET_CENSOR) : text), value);
  if (typeof value !== 'object' || value === null || depth > MAX_DEPTH) return value;
  if (seen.has(value)) return seen.get(value);
  if (!holdsSecret(value, secrets, new Set(), 0)) return value;

  if (value instanceof Headers) {
    const copy = new Headers();
    value.forEach((v, name) => copy.append(name, scrub(v, secrets, seen, depth + 1) as string));
    seen.set(value, copy);
    return copy;
  }
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    seen.set(value, copy);
    for (const item of value) copy.push(scrub(item, secrets, seen, depth + 1));
    return copy;
  }
  // Errors stay real errors of their class (instanceof and util.types.isNativeError still hold);
  // other objects are copied with their prototype.
  const prototype = Object.getPrototypeOf(value) as object | null;
  const copy = (value instanceof Error ? Object.setPrototypeOf(new Error(), prototype) : Object.create(prototype)) as Record<string, unknown>;
  seen.set(value, copy);
  for (const key of ownKeys(value)) {
    const enumerable = Object.getOwnPropertyDescriptor(value, key)?.enumerable ?? false;
    Object.defineProperty(copy, key, { configurable: true, enumerable, writable: true, value: scrub(read(value, key), secrets, seen, depth + 1) });
  }
  return copy;
}

/** Own property names, plus `stack`, `message` and `cause` of errors whatever their kind of property. */
function ownKeys(value: object): string[] {
  const keys = new Set(Object.getOwnPropertyNames(value));
  if (value instanceof Error) for (const key of ['message', 'stack', 'cause']) if (key in value && Object.prototype.hasOwnProperty.call(value, key)) keys.add(key);
  return [...keys];
}

function holdsSecret(value: unknown, secrets: readonly string[], seen: Set<object>, depth: number): boolean {
  if (typeof value === 'string') return secrets.some((secret) => value.includes(secret));
  if (typeof value !== 'object' || value === null || depth > MAX_DEPTH || seen.has(value)) return false;
  seen.add(value);
  if (value instanceof Headers) {
    let found = false;
    value.forEach((v) => (found ||= holdsSecret(v, secrets, seen, depth + 1)));
    return found;
  }
  for (const key of ownKeys(value)) if (holdsSecret(read(value, key), secrets, seen, depth + 1)) return true;
  return false;
}

/** An own property's value (data or getter, e.g. V8's `stack`); undefined if its getter throws. */
function read(value: object, key: string): unknown {
  try {
    return (value as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}
