/**
 * Where a value would not survive a trip through JSON (what crosses Redis), or undefined when it
 * would: `null`, booleans, finite numbers, strings, arrays and plain objects of those (a property
 * that is `undefined` is dropped, as an absent one). Names the first offending path, e.g. `input.options.onDone is a function`. @internal
 */
export function jsonProblem(value: unknown, path: string, seen: Set<object> = new Set()): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : `${path} is ${String(value)} (JSON has no such number)`;
    case 'undefined':
      return `${path} is undefined (JSON drops it)`;
    case 'bigint':
    case 'symbol':
    case 'function':
      return `${path} is a ${typeof value}`;
  }
  if (value === null) return undefined;
  const object = value as object;
  if (seen.has(object)) return `${path} is a circular reference`;
  if (Array.isArray(object)) {
    seen.add(object);
    for (let i = 0; i < object.length; i++) {
      const problem = jsonProblem(object[i], `${path}[${i}]`, seen);
      if (problem) return problem;
    }
    seen.delete(object);
    return undefined;
  }
  const proto = Object.getPrototypeOf(object) as unknown;
  if (proto !== Object.prototype && proto !== null) {
    const kind = (object as { constructor?: { name?: string } }).constructor?.name ?? 'object';
    return `${path} is a ${kind} (only plain objects and arrays survive JSON)`;
  }
  seen.add(object);
  for (const [key, item] of Object.entries(object)) {
    if (item === undefined) continue; // an absent optional field: dropped, and read back as absent
    const problem = jsonProblem(item, `${path}.${key}`, seen);
    if (problem) return problem;
  }
  seen.delete(object);
  return undefined;
}
