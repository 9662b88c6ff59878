import type { ObservableInput } from 'rxjs';
import type { SupervisorState } from './state.js';
import type { RouterContext } from './context.js';

/**
 * A routing decision: the worker to run next, or `FINISH`; optionally why.
 *
 * ## Example
 * ```ts
 * import type { RouterDecision } from 'rx-orchestra/patterns';
 * const decision: RouterDecision = { next: 'auditor', rationale: 'the table needs a domain-priority check' };
 * ```
 */
export interface RouterDecision {
  readonly next: string;
  readonly rationale?: string;
}

/**
 * Picks the next worker or `FINISH` from the conversation so far. Pluggable: an LLM with
 * structured output ({@link llmRouter}), rules ({@link staticRouter}), or any function returning an
 * Observable, Promise or iterable of a decision (the last value counts). Time it on
 * `ctx.scheduler`; pass `ctx.signal` to anything cancellable.
 *
 * ## Example
 * ```ts
 * import { supervisor, type Router } from 'rx-orchestra/patterns';
 * const router: Router = (state) => [{ next: state.turn === 1 ? 'researcher' : 'FINISH' }];
 * supervisor({ name: 'team', workers: { researcher }, router });
 * ```
 */
export type Router = (state: SupervisorState, ctx: RouterContext) => ObservableInput<RouterDecision>;
