import type { Model } from '../models/model.js';
import { anthropicModel } from '../models/anthropic/anthropic-model.js';
import { simulatedModel } from '../models/simulated-model.js';

let shared: Model | undefined;

/**
 * The provider LLM nodes use when neither the node nor the run names one: Claude when
 * `ANTHROPIC_API_KEY` is set (model from `RX_ORCHESTRA_MODEL`), else the offline simulated
 * provider. Created once per process, so every run shares one client.
 *
 * ## Example
 * ```ts
 * import { defaultModel, execute } from 'rx-orchestra';
 * execute(g, { model: defaultModel() });
 * ```
 */
export function defaultModel(): Model {
  shared ??= process.env.ANTHROPIC_API_KEY ? anthropicModel() : simulatedModel();
  return shared;
}
