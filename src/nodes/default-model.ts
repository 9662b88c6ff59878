import type { Model } from '../models/model.js';
import { anthropicModel, defaultClaudeModelId } from '../models/anthropic/anthropic-model.js';
import { simulatedModel } from '../models/simulated-model.js';

/** The default provider of this process, and whether it is the offline stand-in. */
let shared: { readonly model: Model; readonly simulated: boolean } | undefined;

function current(): { readonly model: Model; readonly simulated: boolean } {
  // Offline, the simulated provider stands in for the model that would answer with a key, and
  // reports its id: `llm()` prices its calls, and the pre-run estimate its nodes, as that model,
  // so a budget refuses and stops a run offline exactly as it would online.
  shared ??= process.env.ANTHROPIC_API_KEY
    ? { model: anthropicModel(), simulated: false }
    : { model: simulatedModel({ model: defaultClaudeModelId() }), simulated: true };
  return shared;
}

/**
 * The provider LLM nodes use when neither the node nor the run names one: Claude when
 * `ANTHROPIC_API_KEY` is set (model from `RX_ORCHESTRA_MODEL`, else `claude-sonnet-4-6`), else
 * the offline simulated provider. Created once per process, so every run shares one client.
 *
 * Offline, the simulated provider stands in for the model that would answer with a key: its
 * `model` is that id (`RX_ORCHESTRA_MODEL`, else `claude-sonnet-4-6`), so the pre-run cost
 * estimate, `node.usage`'s `costUsd` and the budget's in-run stop price its calls at that
 * model's list price (nothing is actually spent). A budget therefore means the same with and
 * without a key. To run offline for $0, name a provider: `execute(g, { model: simulatedModel() })`
 * (model id `simulated`, free).
 *
 * ## Example
 * ```ts
 * import { defaultModel, execute } from 'rx-orchestra';
 * defaultModel().model; // 'claude-sonnet-4-6', with or without ANTHROPIC_API_KEY
 * execute(g, { model: defaultModel() });
 * ```
 */
export function defaultModel(): Model {
  return current().model;
}

/**
 * True when {@link defaultModel} is the offline simulated provider (no `ANTHROPIC_API_KEY` when it
 * was created): its calls cost nothing, though they are priced as `defaultModel().model`.
 *
 * Used by the CLI to say how an offline run is priced; not exported from the package root.
 *
 * ## Example
 * ```ts
 * import { defaultModel, isDefaultModelSimulated } from './default-model.js';
 * if (isDefaultModelSimulated()) console.warn(`offline: priced as ${defaultModel().model}, nothing spent`);
 * ```
 */
export function isDefaultModelSimulated(): boolean {
  return current().simulated;
}
