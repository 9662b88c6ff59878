/**
 * `rx-orchestra/patterns`: multi-agent patterns built on the engine. The supervisor (seed 004: a router
 * picks the next worker or FINISH, workers behind zod firewalls, hierarchies), the typed event bus,
 * agent services and the workflow runner (seed 001), and the priority agent pool. Needs nothing beyond
 * the root's peers (rxjs, zod, @anthropic-ai/sdk).
 *
 * ## Example
 * ```ts
 * import { supervisor, staticRouter, worker } from 'rx-orchestra/patterns';
 * ```
 * @module
 */
export * from './supervisor/index.js';
export * from './bus/index.js';
export * from './agents/index.js';
export * from './pool/index.js';
export * from './collaboration/index.js';
export * from './routing/index.js';
