import { RxOrchestraError, brandError } from '../../errors/rx-orchestra-error.js';

/** No API key where a real Claude call is needed. */
export class MissingApiKeyError extends RxOrchestraError {
  static {
    brandError(this, 'MissingApiKeyError');
  }
  override readonly name = 'MissingApiKeyError';
  readonly code = 'MISSING_API_KEY' as const;
  readonly retryable = false;
  constructor() {
    super('anthropicModel: no API key: set ANTHROPIC_API_KEY or pass { apiKey } (offline, use simulatedModel())');
  }
}

/** The default Claude model id: `RX_ORCHESTRA_MODEL` from the environment (empty counts as unset), else Sonnet 4.6 (Sonnet 4.5 retires on 2026-11-30). */
export function defaultClaudeModelId(): string {
  return process.env.RX_ORCHESTRA_MODEL || 'claude-sonnet-4-6';
}
