import { RxOrchestraError, brandError, hasErrorTag } from '../errors/rx-orchestra-error.js';

/** What is wrong with an LLM node, found before or after its call. */
export type LlmNodeErrorCode = 'NO_MODEL' | 'PROMPT_FAILED' | 'SCHEMA_UNSUPPORTED' | 'INVALID_OUTPUT';

/**
 * An LLM node that cannot call or whose answer is unusable: no model provider, a prompt function
 * that threw, a schema zod cannot express as JSON Schema (all raised before any token is spent),
 * or output that failed validation after every repair (`rawText` keeps what the model said).
 * Not retryable: the node's retry would do the same.
 */
export class LlmNodeError extends RxOrchestraError {
  static {
    brandError(this, 'LlmNodeError');
  }
  override readonly name = 'LlmNodeError';
  readonly retryable = false;
  constructor(
    readonly code: LlmNodeErrorCode,
    readonly nodeId: string,
    message: string,
    override readonly details: { rawText?: string; issues?: readonly string[]; cause?: unknown } = {},
  ) {
    super(`node '${nodeId}': ${message}`, { cause: details.cause });
  }
  /** For `INVALID_OUTPUT`: the model's last answer, unparsed. */
  get rawText(): string | undefined {
    return this.details.rawText;
  }
}

/** True for an {@link LlmNodeError}, also one from another copy of this package. */
export function isLlmNodeError(error: unknown): error is LlmNodeError {
  return hasErrorTag(error, 'LlmNodeError');
}

/**
 * Why a `loop()` node failed on its own account (a failing body fails it with the body's error):
 * - `MAX_ITERATIONS`: `maxIterations` iterations ran and `until` accepted none (`lastValue` keeps the last one);
 * - `EMPTY_ITERATION`: the body completed without a value;
 * - `UNTIL_FAILED`: the `until` function threw (the error is the `cause`).
 *
 * ## Example
 * ```ts
 * import { isLoopError, type LoopErrorCode } from 'rx-orchestra';
 * const code: LoopErrorCode | undefined = isLoopError(error) ? error.code : undefined; // e.g. 'MAX_ITERATIONS'
 * ```
 */
export type LoopErrorCode = 'MAX_ITERATIONS' | 'EMPTY_ITERATION' | 'UNTIL_FAILED';

/**
 * A `loop()` node that did not converge (`MAX_ITERATIONS`, keeping the last iteration's value in
 * `lastValue`, so a fallback or the caller can still use the best draft), whose body gave no value
 * (`EMPTY_ITERATION`), or whose `until` threw (`UNTIL_FAILED`). Not retryable: a node retry would run
 * the same loop again (set `retry` on the node if the body is random enough for that to help).
 *
 * ## Example
 * ```ts
 * import { graph, isLoopError, loop } from 'rx-orchestra';
 * graph().node('draft', {
 *   run: loop({ body: ({ previous }) => revise(previous), until: (d: Draft) => d.score >= 8, maxIterations: 3 }),
 *   fallback: (error) => {
 *     if (isLoopError(error) && error.code === 'MAX_ITERATIONS') return error.lastValue as Draft; // the best we have
 *     throw error;
 *   },
 * });
 * ```
 */
export class LoopError extends RxOrchestraError {
  static {
    brandError(this, 'LoopError');
  }
  override readonly name = 'LoopError';
  readonly retryable = false;
  constructor(
    readonly code: LoopErrorCode,
    readonly nodeId: string,
    message: string,
    override readonly details: { iterations: number; lastValue?: unknown; cause?: unknown },
  ) {
    super(`node '${nodeId}': ${message}`, details.cause !== undefined ? { cause: details.cause } : undefined);
  }
  /** Iterations that ended with a value before the loop failed. */
  get iterations(): number {
    return this.details.iterations;
  }
  /** The last iteration's value (`MAX_ITERATIONS`, `UNTIL_FAILED`); undefined when no iteration ended. */
  get lastValue(): unknown {
    return this.details.lastValue;
  }
}

/**
 * True for a {@link LoopError}, also one from another copy of this package.
 *
 * ## Example
 * ```ts
 * import { isLoopError } from 'rx-orchestra';
 * if (isLoopError(error) && error.code === 'MAX_ITERATIONS') console.log(error.iterations, error.lastValue);
 * ```
 */
export function isLoopError(error: unknown): error is LoopError {
  return hasErrorTag(error, 'LoopError');
}
