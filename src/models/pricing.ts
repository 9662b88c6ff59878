import { RxOrchestraError, brandError } from '../errors/rx-orchestra-error.js';
import type { TokenUsage } from './model.js';

/** A model's prices in USD per million tokens. */
export interface ModelPrice {
  inputPerMTok: number;
  outputPerMTok: number;
  /** Writing to the prompt cache (5-minute TTL). @default 1.25 x inputPerMTok */
  cacheWritePerMTok?: number;
  /** Reading from the prompt cache. @default 0.1 x inputPerMTok */
  cacheReadPerMTok?: number;
  /**
   * Share of the list price a call sent through the Message Batches API pays, on every kind of token
   * (input, output, cache writes and reads). @default 0.5 ({@link BATCH_DISCOUNT}: half price)
   */
  batchShare?: number;
}

/**
 * What a batched call pays of the list price: half (the Message Batches API's 50 % discount).
 *
 * ## Example
 * ```ts
 * import { BATCH_DISCOUNT } from 'rx-orchestra';
 * const batchedUsd = (listUsd: number) => listUsd * BATCH_DISCOUNT;
 * ```
 */
export const BATCH_DISCOUNT = 0.5;

/** Prices by model id. A dated snapshot id (`claude-sonnet-4-5-20250929`) is priced as its undated id. */
export type PriceTable = Readonly<Record<string, ModelPrice>>;

/**
 * List prices of Claude models (USD per million input / output tokens), plus a free `simulated`
 * id: what a `simulatedModel()` without a `model` option reports. (The offline `defaultModel()`
 * reports the id of the model that answers with `ANTHROPIC_API_KEY` set, and is priced as that, so a
 * budget means the same with and without a key.) Models released after this table was written have no entry (a call to one
 * fails early with `UNKNOWN_MODEL_PRICE` rather than guessing): extend it,
 * `{ ...CLAUDE_PRICES, 'my-model': { inputPerMTok, outputPerMTok } }`, and pass it as `llm({ prices })`.
 */
export const CLAUDE_PRICES: PriceTable = Object.freeze({
  'claude-opus-4-6': { inputPerMTok: 5, outputPerMTok: 25 },
  'claude-sonnet-4-6': { inputPerMTok: 3, outputPerMTok: 15 },
  'claude-opus-4-5': { inputPerMTok: 5, outputPerMTok: 25 },
  'claude-sonnet-4-5': { inputPerMTok: 3, outputPerMTok: 15 },
  'claude-haiku-4-5': { inputPerMTok: 1, outputPerMTok: 5 },
  'claude-opus-4-1': { inputPerMTok: 15, outputPerMTok: 75 },
  'claude-opus-4': { inputPerMTok: 15, outputPerMTok: 75 },
  'claude-sonnet-4': { inputPerMTok: 3, outputPerMTok: 15 },
  'claude-3-7-sonnet': { inputPerMTok: 3, outputPerMTok: 15 },
  'claude-3-5-haiku': { inputPerMTok: 0.8, outputPerMTok: 4 },
  'claude-3-haiku': { inputPerMTok: 0.25, outputPerMTok: 1.25 },
  simulated: { inputPerMTok: 0, outputPerMTok: 0 },
});

/** A model with no price in the table: its cost cannot be computed or estimated. */
export class UnknownModelPriceError extends RxOrchestraError {
  static {
    brandError(this, 'UnknownModelPriceError');
  }
  override readonly name = 'UnknownModelPriceError';
  readonly code = 'UNKNOWN_MODEL_PRICE' as const;
  readonly retryable = false;
  constructor(
    readonly model: string,
    readonly nodeId?: string,
  ) {
    super(`${nodeId ? `node '${nodeId}': ` : ''}no price for model '${model}'; add it to the price table (prices: { '${model}': { inputPerMTok, outputPerMTok } })`);
  }
}

/**
 * The price of a model: an exact match, or the undated id of a dated snapshot
 * (`…-20251001`). Throws {@link UnknownModelPriceError} for anything else.
 *
 * ## Example
 * ```ts
 * import { priceOf } from 'rx-orchestra';
 * priceOf('claude-haiku-4-5-20251001'); // { inputPerMTok: 1, outputPerMTok: 5 }
 * ```
 */
export function priceOf(model: string, table: PriceTable = CLAUDE_PRICES, nodeId?: string): ModelPrice {
  const exact = table[model];
  if (exact) return exact;
  // A dated snapshot (`claude-haiku-4-5-20251001`) is priced as its model; any other unknown id is
  // an error rather than a guess (`claude-opus-4-7` must not silently cost what `claude-opus-4` does).
  const dated = /^(.*)-\d{8}$/.exec(model);
  const undated = dated ? table[dated[1]!] : undefined;
  if (undated) return undated;
  throw new UnknownModelPriceError(model, nodeId);
}

/**
 * The cost of one call in USD: input, output, cache writes and cache reads at their prices.
 *
 * ## Example
 * ```ts
 * import { costUsd, priceOf } from 'rx-orchestra';
 * costUsd({ inputTokens: 1_000_000, outputTokens: 100_000 }, priceOf('claude-sonnet-4-5')); // 4.5
 * ```
 */
export function costUsd(usage: TokenUsage, price: ModelPrice): number {
  const { inputPerMTok, outputPerMTok, cacheWritePerMTok = inputPerMTok * 1.25, cacheReadPerMTok = inputPerMTok * 0.1 } = price;
  return (
    (usage.inputTokens * inputPerMTok +
      usage.outputTokens * outputPerMTok +
      (usage.cacheCreationInputTokens ?? 0) * cacheWritePerMTok +
      (usage.cacheReadInputTokens ?? 0) * cacheReadPerMTok) /
    1_000_000
  );
}

/**
 * The price of a call sent through the Message Batches API: every token at `batchShare` of the
 * list price (half, by default). Prices without `cacheWritePerMTok` / `cacheReadPerMTok` keep their
 * 1.25x / 0.1x ratios, of the discounted input price.
 *
 * ## Example
 * ```ts
 * import { batchPrice, costUsd, priceOf } from 'rx-orchestra';
 * costUsd({ inputTokens: 1_000_000, outputTokens: 100_000 }, batchPrice(priceOf('claude-sonnet-4-5'))); // 2.25
 * ```
 */
export function batchPrice(price: ModelPrice): ModelPrice {
  const share = price.batchShare ?? BATCH_DISCOUNT;
  return {
    inputPerMTok: price.inputPerMTok * share,
    outputPerMTok: price.outputPerMTok * share,
    ...(price.cacheWritePerMTok !== undefined ? { cacheWritePerMTok: price.cacheWritePerMTok * share } : {}),
    ...(price.cacheReadPerMTok !== undefined ? { cacheReadPerMTok: price.cacheReadPerMTok * share } : {}),
    batchShare: 1,
  };
}
