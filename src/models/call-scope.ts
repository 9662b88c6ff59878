/**
 * Where a provider's own OpenTelemetry spans go: under the span of the node attempt that makes the
 * call. Two process-wide tables, both internal and free of `@opentelemetry/api` (the root imports
 * this module; only `traceRunEvents()`, which has loaded the API already, fills them):
 *
 * - open attempt scopes, by run, node and attempt: `traceRunEvents()` opens one when it starts an
 *   attempt span and closes it when that span ends; the scope is a function that runs its argument
 *   with the attempt span as the active OpenTelemetry context (`context.with`);
 * - the calls in flight: `streamCall()` tags each request it sends with its run, node and attempt
 *   (a WeakMap on the request object, so requests, their types and what models record of them stay
 *   as they were, and a dropped request takes its tag with it).
 *
 * A provider adapter that starts its SDK request inside {@link withCallScope} then has the SDK's call
 * span (the Anthropic SDK starts it from `context.active()`) as a child of the attempt span. With no
 * `traceRunEvents()` on the run, or no tag (a model called outside a node, or a wrapper that copied
 * the request), nothing changes. Nesting needs a context manager registered with the OpenTelemetry
 * API, as every Node SDK setup does (`NodeSDK`, `NodeTracerProvider.register()`).
 * @internal
 */

/** A model call's place in a run. @internal */
export interface CallPlace {
  readonly runId: string;
  readonly nodeId: string;
  readonly attempt: number;
}

/** Runs `fn` inside a trace context (the attempt span's). @internal */
export type CallScope = <T>(fn: () => T) => T;

const scopes = new Map<string, CallScope>();
const places = new WeakMap<object, CallPlace>();

const keyOf = ({ runId, nodeId, attempt }: CallPlace) => `${attempt}\u0000${nodeId}\u0000${runId}`;

/**
 * Opens the scope of an attempt; returns what closes it (only it: a later scope of the same
 * attempt, e.g. of a second `traceRunEvents()` on the run, stays open). @internal
 */
export function openCallScope(place: CallPlace, scope: CallScope): () => void {
  const key = keyOf(place);
  scopes.set(key, scope);
  return () => {
    if (scopes.get(key) === scope) scopes.delete(key);
  };
}

/** Tags a request a node is about to send with the node's run, node and attempt. @internal */
export function tagCall(request: object, place: CallPlace): void {
  places.set(request, place);
}

/** Runs `fn` in the trace context of the attempt that sends `request`, when there is one; else just runs it. @internal */
export function withCallScope<T>(request: object, fn: () => T): T {
  const place = places.get(request);
  const scope = place && scopes.get(keyOf(place));
  return scope ? scope(fn) : fn();
}

/** How many attempt scopes are open (for tests: none once a traced run ended). @internal */
export function openCallScopes(): number {
  return scopes.size;
}
