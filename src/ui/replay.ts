import { Observable, asyncScheduler, type SchedulerAction, type SchedulerLike } from 'rxjs';
import type { RunEvent } from '../run/events.js';
import { OptionsError } from '../errors/options-error.js';

/**
 * How a recorded run is played back: its speed, the longest pause, and the clock.
 *
 * ## Example
 * ```ts
 * import { replayRunEvents, type ReplayOptions } from 'rx-orchestra/ui';
 * const fast: ReplayOptions = { speed: 20, maxGapMs: 2_000 }; // 20x, and no pause longer than 2 s
 * replayRunEvents(events, fast).subscribe(render);
 * ```
 */
export interface ReplayOptions {
  /** 1 plays the run in real time, 10 ten times faster, `Infinity` all at once. @default 1 */
  speed?: number;
  /**
   * No pause between two events is longer than this (ms of playback time), so a run that sat idle
   * does not stall its replay. The pause before the next run of a log holding several is at most
   * one second. @default Infinity
   */
  maxGapMs?: number;
  /** Clock of the playback. @default asyncScheduler */
  scheduler?: SchedulerLike;
}

/** Pause before the next run of a log that holds several (ms of playback time), at most. */
const BETWEEN_RUNS_MS = 1_000;

/**
 * Plays recorded events back on a scheduler, keeping their original timestamps and spacing them
 * as they happened, divided by `speed`: the source of the dashboard's replay of a run log. Cold:
 * each subscription plays from the start; unsubscribing stops it.
 *
 * ## Example
 * ```ts
 * import { readRunLog } from 'rx-orchestra/observe';
 * import { replayRunEvents } from 'rx-orchestra/ui';
 * const events = readRunLog('runs.jsonl').map((line) => line.event);
 * replayRunEvents(events, { speed: 10 }).subscribe((event) => console.log(event.type));
 * ```
 * @throws {OptionsError} at call time, for a speed that is not a positive number
 */
export function replayRunEvents(events: readonly RunEvent[], options: ReplayOptions = {}): Observable<RunEvent> {
  const speed = options.speed ?? 1;
  const maxGapMs = options.maxGapMs ?? Infinity;
  const scheduler = options.scheduler ?? asyncScheduler;
  if (typeof speed !== 'number' || !(speed > 0)) throw new OptionsError('replay.speed', `'replay.speed' must be a number > 0 (Infinity: at once), got ${String(speed)}`, 'dashboard');
  if (typeof maxGapMs !== 'number' || !(maxGapMs >= 0)) throw new OptionsError('replay.maxGapMs', `'replay.maxGapMs' must be a number >= 0, got ${String(maxGapMs)}`, 'dashboard');
  const offsets = playbackOffsets(events, speed, maxGapMs);
  return new Observable<RunEvent>((subscriber) => {
    if (speed === Infinity) {
      for (const event of events) subscriber.next(event);
      subscriber.complete();
      return;
    }
    const start = scheduler.now();
    let next = 0;
    return scheduler.schedule(function (this: SchedulerAction<undefined>) {
      const elapsed = scheduler.now() - start;
      while (next < events.length && offsets[next]! <= elapsed) subscriber.next(events[next++]!);
      if (next >= events.length) subscriber.complete();
      else this.schedule(undefined, offsets[next]! - elapsed);
    }, 0);
  });
}

/** When each event is due, in ms of playback time from the start. Pure. */
function playbackOffsets(events: readonly RunEvent[], speed: number, maxGapMs: number): Float64Array {
  const offsets = new Float64Array(events.length);
  let offset = 0;
  for (let i = 1; i < events.length; i++) {
    const event = events[i]!;
    const gap = Math.max(0, (event.at - events[i - 1]!.at) / speed);
    offset += Math.min(gap, maxGapMs, event.type === 'run.started' ? BETWEEN_RUNS_MS : Infinity);
    offsets[i] = offset;
  }
  return offsets;
}
