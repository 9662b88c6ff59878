import type { Router, RouterDecision } from './router.js';
import { FINISH, hasAnswered, type SupervisorState } from './state.js';

/**
 * One rule of a {@link staticRouter}: a worker name (or a full decision) when the rule applies;
 * `undefined`, `null` or `false` to pass to the next rule.
 *
 * ## Example
 * ```ts
 * import { hasAnswered, type RoutingRule } from 'rx-orchestra/patterns';
 * const auditFullTables: RoutingRule = (s) => s.messages.at(-1)?.content.startsWith('|') && !hasAnswered(s, 'auditor') && { next: 'auditor', rationale: 'full table' };
 * ```
 */
export type RoutingRule = (state: SupervisorState) => string | RouterDecision | undefined | null | false;

/**
 * Settings of {@link staticRouter}.
 *
 * ## Example
 * ```ts
 * import { staticRouter } from 'rx-orchestra/patterns';
 * staticRouter([(s) => s.turn === 1 && 'triage'], { otherwise: 'fallback_agent' });
 * ```
 */
export interface StaticRouterOptions {
  /** The decision when no rule applies. @default 'FINISH' */
  otherwise?: string;
}

/**
 * A rule-based router: the first rule that names a worker wins, else `otherwise` (`FINISH`). No
 * model call, no latency: for tests, cheap paths, and for migrating a hand-written if/else (seed
 * 004's `DataStandardizerAgent.run`) to a supervisor step by step, before swapping in an
 * {@link llmRouter}. The rationale is `rule <index>` unless the rule gives one.
 *
 * ## Example
 * ```ts
 * import { staticRouter, hasAnswered, lastMessage } from 'rx-orchestra/patterns';
 * // seed 004: recommender, then post-processing, then the auditor for full-format tables only
 * const router = staticRouter([
 *   (s) => !hasAnswered(s, 'recommender') && 'recommender',
 *   (s) => !hasAnswered(s, 'post_processor') && 'post_processor',
 *   (s) => isFullFormat(lastMessage(s, 'post_processor')?.content) && !hasAnswered(s, 'auditor') && 'auditor',
 * ]);
 * ```
 */
export function staticRouter(rules: readonly RoutingRule[], options: StaticRouterOptions = {}): Router {
  const { otherwise = FINISH } = options;
  return (state) => {
    for (const [index, rule] of rules.entries()) {
      const verdict = rule(state);
      if (verdict === undefined || verdict === null || verdict === false) continue;
      return [typeof verdict === 'string' ? { next: verdict, rationale: `rule ${index}` } : verdict];
    }
    return [{ next: otherwise, rationale: 'no rule applied' }];
  };
}

/**
 * A static router that runs the given workers once each, in order, then finishes: the plain
 * pipeline a supervisor usually replaces, as a first migration step.
 *
 * ## Example
 * ```ts
 * import { supervisor, sequenceRouter } from 'rx-orchestra/patterns';
 * supervisor({ name: 'data-team', workers, router: sequenceRouter(['recommender', 'post_processor', 'auditor']) });
 * ```
 */
export function sequenceRouter(order: readonly string[]): Router {
  return staticRouter(order.map((name) => (state: SupervisorState) => !hasAnswered(state, name) && name));
}
