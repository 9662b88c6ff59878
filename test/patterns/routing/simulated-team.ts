/**
 * The simulated workers as a real supervisor team, and sequential runs of it in virtual time.
 */
import { concat, defer, mergeMap, of, throwError, timer } from 'rxjs';
import { execute, graph, seededRandom, type RunEvent } from 'rx-orchestra';
import { supervisor, worker, type Router, type Worker } from 'rx-orchestra/patterns';
import { record, testScheduler } from '../../run/virtual-run.js';
import { ARMS, LATENCY, QUALITY, type Arm } from './simulated.js';

/** A simulated worker: answers after its latency, well with its quality (drawn from `outcomes`). */
export function simulatedWorker(arm: Arm, outcomes: () => number, options: { usd?: number } = {}): Worker<string, string> {
  return worker({
    run: (input: string, ctx) =>
      timer(LATENCY[arm], ctx.scheduler).pipe(
        mergeMap(() => {
          if (options.usd !== undefined) ctx.emit({ type: 'node.usage', model: arm, usage: { inputTokens: 10, outputTokens: 5 }, costUsd: options.usd });
          return outcomes() < QUALITY[arm] ? of(`${arm}: ${input}`) : throwError(() => new Error(`${arm} gave a bad answer`));
        }),
      ),
  });
}

export function team(router: Router & { meter?: <I, O>(w: Worker<I, O>) => Worker<I, O> }, options: { seed?: number; meter?: boolean; onWorkerError?: 'fail' | 'report'; usd?: Partial<Record<Arm, number>> } = {}) {
  const outcomes = seededRandom(options.seed ?? 1);
  const workers = Object.fromEntries(
    ARMS.map((arm) => {
      const w = simulatedWorker(arm, outcomes, options.usd?.[arm] !== undefined ? { usd: options.usd[arm] } : {});
      return [arm, options.meter && router.meter ? router.meter(w) : w];
    }),
  );
  return supervisor({ name: 'team', workers, router, onWorkerError: options.onWorkerError ?? 'report' });
}

/** Runs `requests` runs of the team one after the other (each starts when the one before completed), in one virtual time. */
export function runRequests(make: () => ReturnType<typeof team>, requests: number): RunEvent[] {
  return testScheduler().run(() => {
    const run = make();
    const runs = Array.from({ length: requests }, (_, i) =>
      defer(() =>
        execute(
          graph()
            .node('request', { run: () => [`request ${i}`] })
            .node('answer', { deps: ['request'], run })
            .build(),
          { runId: `r${i}` },
        ),
      ),
    );
    return record(concat(...runs));
  });
}

