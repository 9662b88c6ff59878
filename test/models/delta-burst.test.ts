/**
 * How the Claude adapter passes on text and thinking deltas (src/models/anthropic/delta-burst.ts):
 * those added in one synchronous turn come as one event once the turn's microtasks are done;
 * anything else the call emits first ends the burst, so the order of what it emits never changes.
 */
import { Observable, type Subscriber } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { ModelEvent } from '../../src/models/model.js';
import { DeltaBurst } from '../../src/models/anthropic/delta-burst.js';

/** A burst over a subscriber that records what it receives. */
function recorded(): { burst: DeltaBurst; seen: ModelEvent[]; next: (event: ModelEvent) => void } {
  const seen: ModelEvent[] = [];
  let subscriber!: Subscriber<ModelEvent>;
  new Observable<ModelEvent>((s) => {
    subscriber = s;
  }).subscribe((event) => seen.push(event));
  return { burst: new DeltaBurst(subscriber), seen, next: (event) => subscriber.next(event) };
}

const tick = () => new Promise<void>((resolve) => process.nextTick(resolve));

describe('DeltaBurst', () => {
  it('passes on the deltas of one turn as one event, after the microtasks of the turn', async () => {
    const { burst, seen } = recorded();
    burst.add('text', 'Schedulers ');
    await Promise.resolve(); // the SDK hands over each event one microtask after the other
    burst.add('text', 'own ');
    await Promise.resolve();
    burst.add('text', 'time.');
    expect(seen).toEqual([]);
    await tick();
    expect(seen).toEqual([{ type: 'text', text: 'Schedulers own time.' }]);
  });

  it('passes on the deltas of separate turns separately', async () => {
    const { burst, seen } = recorded();
    burst.add('text', 'one ');
    await new Promise((resolve) => setImmediate(resolve));
    burst.add('text', 'two');
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual([
      { type: 'text', text: 'one ' },
      { type: 'text', text: 'two' },
    ]);
  });

  it('ends a burst at a delta of the other kind and when flushed before another event, keeping the order', async () => {
    const { burst, seen, next } = recorded();
    burst.add('thinking', 'Let me ');
    burst.add('thinking', 'think.');
    burst.add('text', 'The answer');
    burst.flush();
    next({ type: 'liveness', event: 'content_block_stop' });
    burst.add('text', ' is 4.');
    await tick();
    expect(seen).toEqual([
      { type: 'thinking', text: 'Let me think.' },
      { type: 'text', text: 'The answer' },
      { type: 'liveness', event: 'content_block_stop' },
      { type: 'text', text: ' is 4.' },
    ]);
  });

  it('passes on nothing after drop() (the call was unsubscribed), and nothing for an empty burst', async () => {
    const { burst, seen } = recorded();
    burst.add('text', 'lost');
    burst.drop();
    burst.flush();
    await tick();
    expect(seen).toEqual([]);
  });
});
