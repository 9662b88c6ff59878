import {
  asyncScheduler,
  bufferCount,
  concatMap,
  defer,
  endWith,
  from,
  ignoreElements,
  last,
  map,
  merge,
  type Observable,
  type ObservableInput,
  type OperatorFunction,
  type SchedulerLike,
} from 'rxjs';
import { OptionsError } from '../src/errors/options-error.js';

/** A unit of work for {@link inWaves}: called when its wave starts (not before), it returns an Observable, a Promise or an (async) iterable. */
export type WaveTask<T> = () => ObservableInput<T>;

/** What {@link inWaves} reports when a wave starts. */
export interface WaveInfo {
  /** The wave's number, 1-based. */
  wave: number;
  /** Tasks in this wave: `size`, or fewer for the last one. */
  size: number;
  /** When the wave started, from the scheduler's `now()`. */
  at: number;
}

/** Settings of {@link inWaves} and {@link runInWaves}. */
export interface WavesConfig {
  /** Called as each wave starts, before its tasks are called, e.g. to log or emit an event. @default undefined */
  onWave?: (info: WaveInfo) => void;
  /** Clock for {@link WaveInfo.at}; waves themselves wait for nothing but their tasks. @default asyncScheduler */
  scheduler?: SchedulerLike;
}

/**
 * Seed 003's batched execution as an operator: takes tasks (functions returning an
 * ObservableInput) and runs them `size` at a time, waiting for the WHOLE wave to finish before the
 * next wave starts. Provided to compare with work-conserving scheduling (`mergeMap(task => task(), size)`,
 * or the executor's `concurrency`), which starts the next task the moment any slot frees: in a wave,
 * every slot that finished early stays idle until the slowest task is done, so waves are never
 * faster and usually slower.
 *
 * - Tasks are grouped in arrival order, `size` per wave; a wave starts when it is full or when the
 *   source of tasks completes (the last wave may be smaller). Waves queue behind each other.
 * - Values are emitted **as the tasks produce them** (so within a wave, in finishing order, not task
 *   order); every value of a task passes through. Use {@link runInWaves} for results in task order.
 * - An error in any task errors the output at once, like `Promise.all`: the other tasks of its wave
 *   are unsubscribed (cancelled) and later waves never start.
 *
 * ## Example
 * ```ts
 * import { inWaves } from 'rx-orchestra/operators';
 * import { from } from 'rxjs';
 * const tasks = codePaths.map((path) => () => explorePath(path)); // () => Promise<Finding>
 * from(tasks).pipe(inWaves(4, { onWave: ({ wave, size }) => log(`wave ${wave}: ${size} tasks`) })).subscribe(show);
 * ```
 * @param size tasks per wave, an integer >= 1
 * @param config a {@link WavesConfig}
 */
export function inWaves<T>(size: number, config: WavesConfig = {}): OperatorFunction<WaveTask<T>, T> {
  checkWaveSize(size, 'inWaves');
  const { onWave, scheduler = asyncScheduler } = config;
  return (tasks) =>
    tasks.pipe(
      bufferCount(size),
      concatMap((wave, index) =>
        defer(() => {
          onWave?.({ wave: index + 1, size: wave.length, at: scheduler.now() });
          return merge(...wave.map((task) => defer(task)));
        }),
      ),
    );
}

/**
 * Seed 003's `runInWaves(tasks, batchSize)` with Observables: runs `tasks` in waves of `size` (see
 * {@link inWaves}) and emits one array of their results **in task order**, then completes. A task's
 * result is its last value (a Promise's value); a task that completes without a value fails the
 * run with rxjs' `EmptyError`. Any task error errors the output, like `Promise.all`. Cold: nothing
 * runs until it is subscribed, and unsubscribing cancels the wave in flight.
 *
 * ## Example
 * ```ts
 * import { runInWaves } from 'rx-orchestra/operators';
 * import { firstValueFrom } from 'rxjs';
 * const explorationTasks = codePaths.map((path) => () => explorePath(path));
 * const allResults = await firstValueFrom(runInWaves(explorationTasks, 4));
 * ```
 * @param tasks the tasks, each called when its wave starts
 * @param size tasks per wave, an integer >= 1 (default 4, as in the seed)
 * @param config a {@link WavesConfig}
 */
export function runInWaves<T>(tasks: readonly WaveTask<T>[], size = 4, config: WavesConfig = {}): Observable<T[]> {
  checkWaveSize(size, 'runInWaves');
  return defer(() => {
    const results = new Array<T>(tasks.length);
    const recording = tasks.map(
      (task, index) => () =>
        from(task()).pipe(
          last(),
          map((value) => {
            results[index] = value;
          }),
        ),
    );
    return from(recording).pipe(inWaves<void>(size, config), ignoreElements(), endWith(results));
  });
}

function checkWaveSize(size: number, where: string): void {
  if (!(Number.isInteger(size) && size >= 1)) {
    throw new OptionsError('size', `${where}: 'size' must be an integer >= 1, got ${String(size)}`, 'operators');
  }
}
