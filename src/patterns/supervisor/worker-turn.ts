import { catchError, defer, map, throwError, type Observable } from 'rxjs';
import type { z } from 'zod';
import type { Worker } from './worker.js';
import type { WorkerContext } from './context.js';
import { isSupervisorResult, lastMessage, toJson, type SupervisorMessage, type SupervisorState } from './state.js';
import { SupervisorError, isSupervisorError } from './errors.js';
import { callOnce } from './call-once.js';

/**
 * One worker turn across the boundary: the input transform, input validation, the call (with the
 * turn's own AbortSignal), output validation and the output transform, yielding the message the
 * parent receives. Errors are {@link SupervisorError}s (`INVALID_HANDOFF`, `WORKER_FAILED`); a
 * supervisor error from a nested team passes through unchanged.
 * @internal
 */
export function workerTurn(spec: Worker, state: SupervisorState, ctx: WorkerContext): Observable<SupervisorMessage> {
  const { supervisor, worker: name, turn } = ctx;
  const failed = (what: string, cause: unknown) =>
    isSupervisorError(cause) ? cause : new SupervisorError('WORKER_FAILED', supervisor, `worker '${name}' ${what}: ${describe(cause)}`, { worker: name, turn, cause });
  return defer(() => {
    let input: unknown;
    try {
      input = spec.input ? spec.input(state) : lastMessage(state)?.content;
    } catch (error) {
      throw failed('input transform threw', error);
    }
    if (spec.inputSchema) input = validate(spec.inputSchema, input, 'input', ctx);
    return callOnce(ctx.signal, (signal) => spec.run(input, { ...ctx, signal }), () =>
      new SupervisorError('WORKER_FAILED', supervisor, `worker '${name}' completed without a value`, { worker: name, turn }),
    ).pipe(
      map((raw) => {
        const result = spec.outputSchema ? validate(spec.outputSchema, raw, 'output', ctx) : raw;
        let content: unknown;
        try {
          content = spec.output ? spec.output(result) : defaultOutput(result);
        } catch (error) {
          throw failed('output transform threw', error);
        }
        return typeof content === 'string'
          ? { role: 'worker' as const, name, turn, content }
          : { role: 'worker' as const, name, turn, content: toJson(content), payload: content };
      }),
    );
  }).pipe(catchError((error: unknown) => throwError(() => failed('failed', error))));
}

/** What the parent receives from a worker without an output transform. */
function defaultOutput(result: unknown): unknown {
  if (isSupervisorResult(result)) return result.output ?? ''; // a team's answer, not its internals
  return result === undefined ? '' : result;
}

function validate<T>(schema: z.ZodType<T>, value: unknown, direction: 'input' | 'output', ctx: WorkerContext): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => `${pathOf(issue.path)}: ${issue.message}`);
  const field = pathOf(parsed.error.issues[0]?.path ?? []);
  const side = direction === 'input' ? 'was handed an invalid input' : 'returned an invalid output';
  throw new SupervisorError('INVALID_HANDOFF', ctx.supervisor, `worker '${ctx.worker}' ${side} at '${field}': ${issues.join('; ')}`, {
    worker: ctx.worker,
    turn: ctx.turn,
    direction,
    field,
    issues,
  });
}

function pathOf(path: readonly PropertyKey[]): string {
  return path.length ? path.map(String).join('.') : '(root)';
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : toJson(error);
}
