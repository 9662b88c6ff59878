import type { RunUsage, UsageTotals } from './events.js';
import type { TokenUsage } from '../models/model.js';
import { idRecord } from './id-record.js';

const zero = (): UsageTotals => ({ calls: 0, inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0, costUsd: 0 });

function addTo(totals: UsageTotals, usage: TokenUsage, costUsd: number): void {
  totals.calls += 1;
  totals.inputTokens += usage.inputTokens;
  totals.outputTokens += usage.outputTokens;
  totals.cacheCreationInputTokens += usage.cacheCreationInputTokens ?? 0;
  totals.cacheReadInputTokens += usage.cacheReadInputTokens ?? 0;
  totals.costUsd += costUsd;
}

/** Adds up model calls, tokens and cost of a run: in total, per node and per model. */
export class UsageLedger {
  readonly #total = zero();
  readonly #byNode = new Map<string, UsageTotals>();
  readonly #byModel = new Map<string, UsageTotals>();

  add(nodeId: string, model: string, usage: TokenUsage, costUsd: number): void {
    addTo(this.#total, usage, costUsd);
    for (const [map, key] of [[this.#byNode, nodeId], [this.#byModel, model]] as const) {
      let totals = map.get(key);
      if (!totals) map.set(key, (totals = zero()));
      addTo(totals, usage, costUsd);
    }
  }

  /** USD spent so far. */
  get totalUsd(): number {
    return this.#total.costUsd;
  }

  /** A copy of the totals, for the run summary. */
  totals(): RunUsage {
    const copy = (map: Map<string, UsageTotals>) => idRecord([...map].map(([key, totals]) => [key, { ...totals }] as const));
    return { total: { ...this.#total }, byNode: copy(this.#byNode), byModel: copy(this.#byModel) };
  }
}
