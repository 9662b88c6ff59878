import { z } from 'zod';
import { ErrorInfoSchema, type ErrorInfo } from '../../run/events.js';

const resultBase = {
  taskId: z.string(),
  /** The agent that ran it (`name@version`). */
  agent: z.string(),
  tokensUsed: z.number().nonnegative(),
  /** From the moment the agent started the task (after any queueing) to its end, in scheduler ms. */
  durationMs: z.number().nonnegative(),
  startedAt: z.number(),
};

/**
 * Zod schema of an {@link AgentResult}, e.g. for a bus topic that carries results.
 *
 * ## Example
 * ```ts
 * import { createBus, AgentResultSchema } from 'rx-orchestra/patterns';
 * const bus = createBus({ topics: { 'result': AgentResultSchema } });
 * ```
 */
export const AgentResultSchema = z.discriminatedUnion('success', [
  z.object({ ...resultBase, success: z.literal(true), output: z.unknown() }),
  z.object({ ...resultBase, success: z.literal(false), output: z.undefined().optional(), error: ErrorInfoSchema }),
]);

/**
 * Fields every {@link AgentResult} has.
 *
 * ## Example
 * ```ts
 * import type { AgentResultBase } from 'rx-orchestra/patterns';
 * const timing = ({ taskId, durationMs }: AgentResultBase) => `${taskId}: ${durationMs} ms`;
 * ```
 */
export interface AgentResultBase {
  readonly taskId: string;
  /** The agent that ran it, as `name@version`. */
  readonly agent: string;
  /** Tokens the agent reported (0 when it reported none, or failed). */
  readonly tokensUsed: number;
  /** From the moment the agent started the task (after any queueing) to its end, in scheduler ms. */
  readonly durationMs: number;
  /** When the agent started the task, on the scheduler's clock. */
  readonly startedAt: number;
}

/**
 * How an agent's run of a task ended (seed 001's `AgentResult`): `success: true` with the output, or
 * `success: false` with the error (a timeout, an exception, ...), as plain data.
 *
 * ## Example
 * ```ts
 * import { defineAgent, type AgentResult } from 'rx-orchestra/patterns';
 * agent.handle(task).subscribe((result: AgentResult<string>) => {
 *   if (result.success) console.log(result.output, result.tokensUsed, result.durationMs);
 *   else console.log(result.error.code, result.error.message);
 * });
 * ```
 */
export type AgentResult<O = unknown> =
  | (AgentResultBase & { readonly success: true; readonly output: O; readonly error?: undefined })
  | (AgentResultBase & { readonly success: false; readonly output?: undefined; readonly error: ErrorInfo });
