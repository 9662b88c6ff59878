import { defer, map } from 'rxjs';
import type { Model } from '../../models/model.js';
import { defaultModel } from '../../nodes/default-model.js';
import { AgentError } from './errors.js';
import { defineAgent, type Agent } from './define-agent.js';
import type { AgentTaskContext, AgentService } from './agent-service.js';
import type { AgentTask } from './task.js';

/**
 * Settings of {@link modelAgent}: an agent service without `execute`, plus the prompt.
 *
 * ## Example
 * ```ts
 * import { modelAgent, type ModelAgentOptions } from 'rx-orchestra/patterns';
 * const options: ModelAgentOptions<{ file: string }> = {
 *   name: 'reviewer', version: '1.0.0', capabilities: ['review'], model: 'claude-sonnet-4-6', prompt: (task) => `Review ${task.payload.file}`,
 * };
 * const reviewer = modelAgent(options);
 * ```
 */
export interface ModelAgentOptions<P> extends Omit<AgentService<P, string>, 'execute'> {
  /** The system prompt: the agent's role. @default none */
  system?: string;
  /** Builds the user message from the task and, in a workflow, the outputs it depends on (`ctx.inputs`). */
  prompt: (task: AgentTask<P>, ctx: AgentTaskContext) => string;
  /** Output cap. @default the provider's */
  maxTokens?: number;
  /** @default the provider's */
  temperature?: number;
  /** The provider to call. @default the caller's (`ctx.provider`), else `defaultModel()` */
  provider?: Model;
}

/**
 * An agent whose work is one model call: the prompt built from the task goes to `model` on the
 * provider; the answer's text is the output and its input + output tokens are `tokensUsed`.
 * Cancelling or timing out the task aborts the call.
 *
 * ## Example
 * ```ts
 * import { modelAgent } from 'rx-orchestra/patterns';
 * import { simulatedModel } from 'rx-orchestra';
 * const architect = modelAgent<{ feature: string }>({
 *   name: 'architect', version: '1.0.0', capabilities: ['design'], model: 'claude-sonnet-4-6', timeoutMs: 60_000,
 *   system: 'You are a software architect.',
 *   prompt: (task, { inputs }) => `Design ${task.payload.feature} from this spec:\n${String(inputs.spec)}`,
 *   provider: simulatedModel(),
 * });
 * ```
 * @throws {AgentError} `INVALID_AGENT` naming the field, at call time
 */
export function modelAgent<P = unknown>(options: ModelAgentOptions<P>): Agent<P, string> {
  const { system, prompt, maxTokens, temperature, provider, ...service } = options;
  if (typeof prompt !== 'function') {
    throw new AgentError('INVALID_AGENT', `modelAgent: agent '${String(options.name)}': 'prompt' must be a function`, { agent: String(options.name), field: 'prompt' });
  }
  return defineAgent<P, string>({
    ...service,
    execute: (task, ctx) =>
      defer(() => {
        const model = provider ?? ctx.provider ?? defaultModel();
        return model.complete(
          {
            prompt: prompt(task, ctx),
            model: service.model,
            ...(system !== undefined ? { system } : {}),
            ...(maxTokens !== undefined ? { maxTokens } : {}),
            ...(temperature !== undefined ? { temperature } : {}),
          },
          ctx.signal,
        );
      }).pipe(map((completion) => ({ output: completion.text, tokensUsed: completion.usage.inputTokens + completion.usage.outputTokens }))),
  });
}
