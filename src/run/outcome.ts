import type { ErrorInfo, NodeEndEvent, SkipCause } from './events.js';
import { STATUS_OF_END_EVENT } from './events.js';
import type { GiveUpReason } from '../../operators/retry.js';

interface Ran {
  /** Attempts made (1 + retries). */
  attempts: number;
  startedAt: number;
  endedAt: number;
  durationMs: number;
}

/**
 * How a node ended. `succeeded` and `fellBack` carry a value; `failed` and `timedOut` an error;
 * `skipped` its cause. A typed replacement for magic strings such as `"__TIMEOUT__"`.
 */
export type NodeOutcome<T = unknown> =
  | ({ status: 'succeeded'; value: T; restored?: true } & Ran)
  | ({ status: 'fellBack'; value: T; reason: 'failed' | 'timedOut'; via: number; error: ErrorInfo; restored?: true } & Ran)
  | ({ status: 'failed'; error: ErrorInfo; gaveUp?: GiveUpReason } & Ran)
  | ({ status: 'timedOut'; timeoutMs: number; error: ErrorInfo; gaveUp?: GiveUpReason } & Ran)
  | { status: 'skipped'; cause: SkipCause; endedAt: number };

/** True when the outcome carries a usable value (succeeded or fell back). */
export function hasValue<T>(outcome: NodeOutcome<T> | undefined): outcome is Extract<NodeOutcome<T>, { value: T }> {
  return outcome?.status === 'succeeded' || outcome?.status === 'fellBack';
}

/** The outcome a node-end event describes. Pure. */
export function outcomeOf(event: NodeEndEvent): NodeOutcome {
  const status = STATUS_OF_END_EVENT[event.type];
  const { type: _t, runId: _r, nodeId: _n, at, ...rest } = event;
  if (status === 'skipped') return { status, cause: (rest as { cause: SkipCause }).cause, endedAt: at };
  return { status, ...rest, endedAt: at } as NodeOutcome;
}

/** Turns any thrown value into plain {@link ErrorInfo} for events and logs. */
export function errorInfo(error: unknown): ErrorInfo {
  if (error instanceof Error) {
    const { code, retryable, status, retryAfterMs } = error as { code?: unknown; retryable?: unknown; status?: unknown; retryAfterMs?: unknown };
    return {
      name: error.name,
      message: error.message,
      ...(typeof code === 'string' ? { code } : {}),
      ...(typeof retryable === 'boolean' ? { retryable } : {}),
      ...(typeof status === 'number' ? { status } : {}),
      ...(typeof retryAfterMs === 'number' ? { retryAfterMs } : {}),
    };
  }
  return { name: 'NonError', message: typeof error === 'string' ? error : safeString(error) };
}

function safeString(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * A short human reading of why a node was skipped: `upstream fetch`, `run failed at critical`,
 * `budget $0.52 of $0.50`.
 *
 * ## Example
 * ```ts
 * import { describeSkip } from 'rx-orchestra';
 * describeSkip({ kind: 'upstream', upstream: 'fetch' }); // 'upstream fetch'
 * ```
 */
export function describeSkip(cause: SkipCause): string {
  switch (cause.kind) {
    case 'upstream':
      return `upstream ${cause.upstream}`;
    case 'runFailed':
      return `run failed at ${cause.failedNode}`;
    case 'budget':
      return `budget $${cause.spentUsd.toFixed(4)} of $${cause.maxUsd.toFixed(4)}`;
    case 'branch':
      return `branch ${cause.node} chose ${cause.chose.length > 0 ? cause.chose.join(', ') : 'none'}`;
  }
}
