/**
 * Where a provider's own OpenTelemetry spans go: under the span of the agent step that makes the
 * call, else of the node attempt. Two process-wide tables, both internal and free of
 * `@opentelemetry/api` (the root imports this module; only `traceRunEvents()`, which has loaded the
 * API already, fills them):
 *
 * - open attempt scopes, by run, node and attempt: `traceRunEvents()` opens one when it starts an
 *   attempt span and closes it when that span ends; the scope is a function that runs its argument
 *   in a trace context it chooses from the call's {@link CallPlace} (`context.with`): the attempt
 *   span's, or, for an agent step's call, that step's `chat` span, opened by the first call of the
 *   step and kept by its retries;
 * - the calls in flight: `streamCall()` tags each request it sends with its run, node, attempt and
 *   the attempt's signal and clock; the agent loop tags the request of each step with the step's
 *   number and start ({@link tagStep}) before it is sent (WeakMaps on the request object, so
 *   requests, their types and what models record of them stay as they were, and a dropped request
 *   takes its tags with it).
 *
 * A provider adapter that starts its SDK request inside {@link withCallScope} then has the SDK's call
 * span (the Anthropic SDK starts it from `context.active()`) as a child of the step's or the attempt's
 * span. With no `traceRunEvents()` on the run, or no tag (a model called outside a node, or a wrapper
 * that copied the request), nothing changes; a copied request (a batched call's) keeps its attempt's
 * place but loses its step. Nesting needs a context manager registered with the OpenTelemetry API,
 * as every Node SDK setup does (`NodeSDK`, `NodeTracerProvider.register()`).
 * @internal
 */

/** The agent step a call is made for, as the agent loop tags its request. @internal */
export interface StepPlace {
  /** The step's number in its attempt, from 1; a retried call keeps its step's. */
  readonly step: number;
  /** When the step's first call began, on the run's clock (its span's start). */
  readonly stepStartedAt: number;
}

/** A model call's place in a run. @internal */
export interface CallPlace extends Partial<StepPlace> {
  readonly runId: string;
  readonly nodeId: string;
  readonly attempt: number;
  /**
   * The attempt's signal: a tracer that sees it abort with no event ending the attempt after it
   * (a run cancelled by unsubscribing emits none) ends what it opened for the attempt.
   */
  readonly signal?: AbortSignal;
  /** The run's clock (its scheduler), to time what is ended without an event. */
  readonly clock?: { now(): number };
}

/** Runs `fn` inside the trace context chosen for the call at `place` (the attempt span's, or its step's). @internal */
export type CallScope = <T>(fn: () => T, place: CallPlace) => T;

const scopes = new Map<string, CallScope>();
const places = new WeakMap<object, CallPlace>();
const steps = new WeakMap<object, StepPlace>();

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

/**
 * Tags the request of an agent step's call with the step, before it is sent (and tagged with its
 * place by {@link tagCall}, which keeps the step). @internal
 */
export function tagStep(request: object, step: StepPlace): void {
  steps.set(request, step);
}

/** Tags a request a node is about to send with the node's run, node and attempt (and its step, if {@link tagStep} tagged one). @internal */
export function tagCall(request: object, place: CallPlace): void {
  const step = steps.get(request);
  places.set(request, step ? { ...place, step: step.step, stepStartedAt: step.stepStartedAt } : place);
}

/** Runs `fn` in the trace context of the attempt (or agent step) that sends `request`, when there is one; else just runs it. @internal */
export function withCallScope<T>(request: object, fn: () => T): T {
  const place = places.get(request);
  const scope = place && scopes.get(keyOf(place));
  return scope ? scope(fn, place) : fn();
}

/** How many attempt scopes are open (for tests: none once a traced run ended). @internal */
export function openCallScopes(): number {
  return scopes.size;
}
