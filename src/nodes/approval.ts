import type { Observable } from 'rxjs';
import { of } from 'rxjs';
import type { NodeContext, NodeRun } from '../graph/node-spec.js';
import type { ApprovalSpec } from '../graph/dynamic-spec.js';
import { withRunDefaults } from '../graph/node-spec.js';

/** What {@link approval} returns: a node's `run` that waits for a decision and yields the approved payload. */
export interface ApprovalRun<I, P> extends NodeRun<I, P> {
  (ctx: NodeContext<I>): Observable<P>;
  readonly approve: ApprovalSpec<I>;
  readonly defaultTimeout: false;
}

/**
 * A human approval step as a node: when its dependencies are done it emits `node.waiting` with
 * `request(inputs)` (default: the inputs) and waits, holding no concurrency slot, while other
 * branches go on. Approved, its value is the decision's `value` if one was given (an edited
 * draft), else the payload; rejected, it fails with `APPROVAL_REJECTED`; past `timeout`, it ends
 * `timedOut` with `APPROVAL_TIMEOUT`. Its dependents run only after an approval (skip policy).
 * Decide with `run$.decide(id, { approve })`, the CLI's prompt, the dashboard's buttons, or, for a
 * durable run whose process exited, `resume(store, runId, g, { decisions })`.
 *
 * ## Example
 * ```ts
 * import { approval, execute, graph } from 'rx-orchestra';
 * const g = graph()
 *   .node('draft', { run: () => [{ to: 'team@example.com', body: 'Release notes ...' }] })
 *   .node('approve', { deps: ['draft'], run: approval({ request: ({ draft }) => draft, timeout: 86_400_000 }) })
 *   .node('send', { deps: ['approve'], run: ({ inputs }) => sendEmail(inputs.approve) })
 *   .build();
 * const run$ = execute(g);
 * run$.subscribe((e) => e.type === 'node.waiting' && run$.decide(e.nodeId, { approve: true, by: 'ana' }));
 * ```
 * @param options what to ask (`request`) and how long to wait (`timeout`, ms; default for ever)
 */
export function approval<I = Record<string, unknown>, P = I>(options: { readonly request?: (inputs: I) => P; readonly timeout?: number | false } = {}): ApprovalRun<I, P> {
  const run = (ctx: NodeContext<I>): Observable<P> => {
    const granted = ctx.approval;
    // Only reachable through an approval: the run loop asks before it runs a node with `approve`.
    return of((granted?.value !== undefined ? granted.value : granted?.payload) as P);
  };
  return withRunDefaults(run, { approve: options as ApprovalSpec<never>, defaultTimeout: false as const }) as ApprovalRun<I, P>;
}
