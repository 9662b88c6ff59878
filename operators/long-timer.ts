import { Observable, Subscription, type SchedulerAction, type SchedulerLike } from 'rxjs';

/**
 * The longest delay one timer can hold: 2^31-1 ms (about 24.8 days). Node and browsers clamp a
 * longer `setTimeout` delay to 1 ms, so every wait in rx-orchestra is armed in chunks of at most
 * this length.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Runs `work` once, `delay` ms from now on `scheduler`, like `scheduler.schedule(work, delay)`, but
 * correct for any delay: longer waits are armed in chunks of at most {@link MAX_TIMER_MS} (one
 * timer per 24.8 days, not a timer that fires at once). `Infinity` never fires.
 * @internal
 */
export function scheduleAfter(scheduler: SchedulerLike, delay: number, work: () => void): Subscription {
  if (delay === Infinity) return Subscription.EMPTY;
  if (!(delay > MAX_TIMER_MS)) return scheduler.schedule(work, delay);
  return scheduler.schedule<number>(
    function (this: SchedulerAction<number>, left = 0) {
      if (left <= 0) return work();
      const chunk = Math.min(left, MAX_TIMER_MS);
      this.schedule(left - chunk, chunk);
    },
    MAX_TIMER_MS,
    delay - MAX_TIMER_MS,
  );
}

/**
 * Emits `0` once after `delay` ms and completes, like rxjs `timer(delay, scheduler)`, armed in
 * chunks of at most {@link MAX_TIMER_MS}.
 * @internal
 */
export function delayOf(delay: number, scheduler: SchedulerLike): Observable<0> {
  return new Observable<0>((subscriber) =>
    scheduleAfter(scheduler, delay, () => {
      subscriber.next(0);
      subscriber.complete();
    }),
  );
}
