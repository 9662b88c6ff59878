import { vi } from 'vitest';

/**
 * Loads a second copy of a module and everything it imports, as a duplicate `rx-orchestra` under
 * another dependency's `node_modules` would be: its classes are not this copy's (`instanceof`
 * says no), and only the brand can tell its errors apart.
 *
 * ## Example
 * ```ts
 * const copy = await anotherCopy(() => import('../../src/graph/errors.js'));
 * expect(isGraphError(new copy.GraphError('CYCLE', 'x'))).toBe(true);
 * ```
 */
export async function anotherCopy<M>(load: () => Promise<M>): Promise<M> {
  vi.resetModules();
  return load();
}
