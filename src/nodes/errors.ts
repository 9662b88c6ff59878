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
