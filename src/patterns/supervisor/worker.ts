import type { ObservableInput } from 'rxjs';
import type { z } from 'zod';
import type { SupervisorState } from './state.js';
import type { WorkerContext } from './context.js';

/**
 * One worker of a supervisor, with its own state: it sees only what `input` gives it (the seed's
 * "firewall"; by default the content of the last message) and the parent receives only what
 * `output` returns (by default: a string as is, a team supervisor's answer, anything else as a
 * structured payload with JSON content). With `inputSchema` / `outputSchema` the handoff is
 * structured and validated at the boundary: invalid data fails the turn with an `INVALID_HANDOFF`
 * {@link SupervisorError} naming the worker and the field.
 *
 * A supervisor's `run` is itself a worker (`{ run: dataTeam }`), to any depth.
 *
 * ## Example
 * ```ts
 * import { worker, lastMessage } from 'rx-orchestra/patterns';
 * import { z } from 'zod';
 * const Recommendation = z.object({ physicalName: z.string(), domains: z.array(z.string()), confidence: z.number() });
 * const postProcessor = worker({
 *   description: 'assigns physical names and sorts the answer table',
 *   input: (state) => lastMessage(state, 'recommender')?.payload,
 *   inputSchema: Recommendation,                                  // the recommender's handoff, validated
 *   run: (rec, ctx) => sortTable(rec, { signal: ctx.signal }),    // Promise<string[][]>
 *   output: (table) => table.map((row) => row.join(' | ')).join('\n'),
 * });
 * ```
 */
export interface Worker<I = unknown, O = unknown> {
  /** The work: an Observable, Promise or (async) iterable; its last value is the result. */
  run(input: I, ctx: WorkerContext): ObservableInput<O>;
  /** Builds the worker's input from the supervisor's state. @default the last message's content */
  input?(state: SupervisorState): I;
  /** Validates (and parses) the input before `run`: a structured handoff into the worker. */
  inputSchema?: z.ZodType<I>;
  /** Validates (and parses) the result before `output`: a structured handoff out of the worker. */
  outputSchema?: z.ZodType<O>;
  /**
   * Turns the result into the message the parent receives: a string becomes its content; any other
   * value becomes its `payload` (content: its JSON).
   * @default a string as is; a supervisor's result as its `output`; other values as a payload
   */
  output?(result: O): unknown;
  /** What the worker is for; shown to an {@link llmRouter} in its prompt. */
  description?: string;
}

/**
 * Defines a worker with its input and output types inferred (from `inputSchema`, `input` or `run`),
 * so `run`, `input` and `output` are checked against each other. Returns the definition as is.
 *
 * ## Example
 * ```ts
 * import { worker } from 'rx-orchestra/patterns';
 * const upper = worker({ input: (state) => state.messages.length, run: (n: number) => [`${n} messages`] });
 * ```
 */
export function worker<I, O>(definition: Worker<I, O>): Worker<I, O> {
  return definition;
}
