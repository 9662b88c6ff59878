import { createRequire } from 'node:module';
import { MissingPeerError } from './errors.js';

/**
 * The optional packages rx-orchestra's heavier entry points use, and which entry point needs each.
 * They are optional peer dependencies: `npm install rx-orchestra` installs none of them.
 */
export const OPTIONAL_PEERS = {
  'better-sqlite3': 'sqliteStore() of rx-orchestra/store',
  ioredis: 'redisStore() of rx-orchestra/store and rx-orchestra/distributed',
  bullmq: 'rx-orchestra/distributed',
  pino: 'createRunLogger()/logRunEvents() of rx-orchestra/observe and the CLI\'s --log-level',
  '@opentelemetry/api': 'traceRunEvents() of rx-orchestra/observe',
  '@modelcontextprotocol/sdk': 'mcpTools() of rx-orchestra/mcp',
} as const;

/** A package name of {@link OPTIONAL_PEERS}. */
export type OptionalPeer = keyof typeof OPTIONAL_PEERS;

// createRequire, not `import()`: the peers all ship CommonJS (@modelcontextprotocol/sdk ships both), a synchronous load keeps
// `sqliteStore(path)` and `createRunLogger()` synchronous, and a static `import` would make a missing
// package fail at link time with a resolver stack trace instead of a typed error naming the fix.
const requireFromHere = createRequire(import.meta.url);

const isNotFound = (error: unknown, name: string) =>
  (error as { code?: unknown })?.code === 'MODULE_NOT_FOUND' && String((error as Error).message).includes(`'${name}'`);

/**
 * Loads an optional peer dependency, or one of its subpaths (`'client/index.js'`), or throws a
 * {@link MissingPeerError} saying what to install.
 * @internal
 */
export function loadPeer<T>(name: OptionalPeer, subpath?: string): T {
  const specifier = subpath === undefined ? name : `${name}/${subpath}`;
  try {
    return requireFromHere(specifier) as T;
  } catch (error) {
    if (isNotFound(error, specifier)) throw new MissingPeerError(name, OPTIONAL_PEERS[name], { cause: error });
    throw error;
  }
}

/**
 * Throws a {@link MissingPeerError} for the first of `names` that is not installed, without loading any.
 * An entry point calls it first, so importing it fails at once with the fix instead of a resolver error.
 * @internal
 */
export function assertPeers(...names: OptionalPeer[]): void {
  for (const name of names) {
    try {
      requireFromHere.resolve(name);
    } catch (error) {
      if (isNotFound(error, name)) throw new MissingPeerError(name, OPTIONAL_PEERS[name], { cause: error });
      throw error;
    }
  }
}
