/** The typed event bus, in virtual time: filtering, delivery order, validation, the bounded log. */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { map, type Observable } from 'rxjs';
import { z } from 'zod';
import { BusError, createBus, isBusError, type BusEvent } from 'rx-orchestra/patterns';
import { testScheduler } from '../../run/virtual-run.js';
import { anotherCopy } from '../../errors/another-copy.js';

const topics = {
  'task.created': z.object({ id: z.string(), type: z.string() }),
  'task.completed': z.object({
    taskId: z.string(),
    success: z.boolean(),
    usage: z.object({ tokens: z.number().int().nonnegative() }),
  }),
  'agent.log': z.string().transform((text) => text.trim()),
};
type Topics = typeof topics;

const created = (id: string) => ({ id, type: 'code' });
const completed = (taskId: string, success = true, tokens = 10) => ({ taskId, success, usage: { tokens } });

describe('event bus: publish and subscribe', () => {
  it('stamps events with a sequence number, the scheduler time, the correlation id and the source', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const bus = createBus({ topics });
      expectObservable(bus.subscribe('task.created')).toBe('a 9ms b', {
        a: { id: 'evt-1', seq: 1, topic: 'task.created', payload: created('a'), at: 0, correlationId: 'req-a', source: 'developer' },
        b: { id: 'evt-2', seq: 2, topic: 'task.created', payload: created('b'), at: 10, correlationId: 'req-b', source: 'developer' },
      });
      // the publisher is set up after the subscribers, so at frame 0 they are already listening
      cold('a 9ms b').subscribe((id) => bus.publish('task.created', created(id), { correlationId: `req-${id}`, source: 'developer' }));
    });
  });

  it('filters by topic, by a list of topics, by predicate and by correlation id', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const bus = createBus({ topics });
      const seqs = (source: Observable<{ seq: number }>) => source.pipe(map((e) => e.seq));
      expectObservable(seqs(bus.subscribe('task.completed'))).toBe('-b-d', { b: 2, d: 4 });
      expectObservable(seqs(bus.subscribe(['task.created', 'agent.log']))).toBe('a-c-', { a: 1, c: 3 });
      expectObservable(seqs(bus.subscribe((e) => e.topic === 'task.completed' && !e.payload.success))).toBe('---d', { d: 4 });
      expectObservable(seqs(bus.subscribe((e) => e.source === 'coder'))).toBe('--c-', { c: 3 });
      expectObservable(seqs(bus.subscribe(['task.created', 'task.completed'], { correlationId: 'r1' }))).toBe('ab--', { a: 1, b: 2 });
      expectObservable(bus.subscribe('agent.log', { correlationId: 'r2' }).pipe(map((e) => e.payload))).toBe('--c-', { c: 'thinking' }); // transformed by its schema
      // t=0 created a (r1), t=1 completed a (r1), t=2 log (r2, coder), t=3 completed b failed (r2)
      cold('abcd').subscribe((step) => {
        if (step === 'a') bus.publish('task.created', created('a'), { correlationId: 'r1' });
        if (step === 'b') bus.publish('task.completed', completed('a'), { correlationId: 'r1' });
        if (step === 'c') bus.publish('agent.log', '  thinking  ', { correlationId: 'r2', source: 'coder' });
        if (step === 'd') bus.publish('task.completed', completed('b', false), { correlationId: 'r2' });
      });
    });
  });

  it('is hot: a subscriber sees only what is published after it subscribed', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const bus = createBus({ topics });
      expectObservable(bus.subscribe('task.created').pipe(map((e) => e.payload.id)), '-^').toBe('-b', { b: 'b' });
      cold('ab').subscribe((id) => bus.publish('task.created', created(id)));
    });
  });

  it('types the events of a topic and narrows the payload on the topic', () => {
    const bus = createBus({ topics });
    bus.subscribe('task.completed').subscribe((e) => expectTypeOf(e.payload.usage.tokens).toEqualTypeOf<number>());
    bus.subscribe(['task.created', 'agent.log']).subscribe((e) => {
      if (e.topic === 'agent.log') expectTypeOf(e.payload).toEqualTypeOf<string>();
      else expectTypeOf(e.payload).toEqualTypeOf<{ id: string; type: string }>();
    });
    expectTypeOf(bus.publish('task.created', created('x'))).toEqualTypeOf<BusEvent<Topics, 'task.created'>>();
    // @ts-expect-error: the payload must match the topic's schema
    expect(() => bus.publish('task.created', { id: 1 })).toThrow(BusError);
  });

  it('delivers in publication order to every subscriber, also when a subscriber publishes', () => {
    const bus = createBus({ topics });
    const seen: string[] = [];
    bus.subscribe('task.created').subscribe((e) => {
      seen.push(`A ${e.topic}`);
      bus.publish('task.completed', completed(e.payload.id)); // published from inside a delivery
    });
    bus.subscribe(['task.created', 'task.completed']).subscribe((e) => seen.push(`B ${e.topic}`));
    bus.publish('task.created', created('t1'));
    expect(seen).toEqual(['A task.created', 'B task.created', 'B task.completed']);
    expect(bus.log.query().map((e) => e.topic)).toEqual(['task.created', 'task.completed']);
  });

  it('on(): calls the handler until unsubscribed; a throwing or rejecting handler is reported, not fatal', async () => {
    const bus = createBus({ topics });
    const seen: string[] = [];
    const failures: string[] = [];
    bus.handlerErrors$.subscribe(({ event, error }) => failures.push(`${event.seq}: ${(error as Error).message}`));
    const off = bus.on('task.created', (e) => void seen.push(e.payload.id));
    bus.on('task.created', () => {
      throw new Error('sync boom');
    });
    bus.on('task.created', async () => {
      throw new Error('async boom');
    });
    bus.publish('task.created', created('a'));
    off();
    bus.publish('task.created', created('b'));
    await Promise.resolve();
    expect(seen).toEqual(['a']);
    expect(failures).toEqual(['1: sync boom', '2: sync boom', '1: async boom', '2: async boom']);
  });
});

describe('event bus: validation', () => {
  it('refuses a payload its schema rejects, naming the topic and the field; nothing is logged or delivered', () => {
    const bus = createBus({ topics });
    const seen: unknown[] = [];
    bus.subscribe('task.completed').subscribe((e) => seen.push(e));
    let error: unknown;
    try {
      bus.publish('task.completed', { taskId: 't1', success: true, usage: { tokens: -3 } });
    } catch (e) {
      error = e;
    }
    expect(isBusError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'INVALID_PAYLOAD', topic: 'task.completed', field: 'usage.tokens' });
    expect((error as Error).message).toMatch(/topic 'task.completed' at field 'usage.tokens'/);
    expect(seen).toEqual([]);
    expect(bus.log.size).toBe(0);
  });

  it('lists every issue of an invalid payload', () => {
    const bus = createBus({ topics });
    try {
      bus.publish('task.completed', { taskId: 7, success: 'yes' } as never);
      expect.unreachable();
    } catch (e) {
      expect((e as BusError).issues.map((i) => i.field)).toEqual(['taskId', 'success', 'usage']);
    }
  });

  it('refuses unknown topics on publish, subscribe and on, at call time', () => {
    const bus = createBus({ topics });
    const unknown = 'task.deleted' as never;
    for (const call of [() => bus.publish(unknown, {} as never), () => bus.subscribe(unknown), () => bus.subscribe(['task.created', unknown]), () => bus.on(unknown, () => {})]) {
      expect(call).toThrowError(expect.objectContaining({ code: 'UNKNOWN_TOPIC', topic: 'task.deleted', message: expect.stringMatching(/declared: task.created, task.completed, agent.log/) }));
    }
  });

  it('refuses bad options', () => {
    expect(() => createBus({ topics, logSize: -1 })).toThrowError(expect.objectContaining({ code: 'INVALID_OPTION', field: 'logSize' }));
    expect(() => createBus({ topics: { bad: { parse: () => 1 } as never } })).toThrowError(expect.objectContaining({ code: 'INVALID_OPTION', field: 'topics.bad' }));
    const bus = createBus({ topics });
    expect(() => bus.publish('agent.log', 'x', { correlationId: '' })).toThrowError(expect.objectContaining({ code: 'INVALID_OPTION', field: 'correlationId' }));
    expect(() => bus.on('agent.log', 'nope' as never)).toThrowError(expect.objectContaining({ code: 'INVALID_OPTION', field: 'handler' }));
  });

  it('the guard recognizes a BusError from another copy of the package', async () => {
    const copy = await anotherCopy(() => import('../../../src/patterns/bus/errors.js'));
    const foreign = new copy.BusError('UNKNOWN_TOPIC', 'x');
    expect(foreign).not.toBeInstanceOf(BusError);
    expect(isBusError(foreign)).toBe(true);
    expect(isBusError(new Error('x'))).toBe(false);
  });
});

describe('event bus: the event log', () => {
  it('keeps the last logSize events: the oldest are evicted first, whatever their topic', () => {
    const bus = createBus({ topics, logSize: 3 });
    bus.publish('task.created', created('a'));
    bus.publish('task.completed', completed('a'));
    bus.publish('task.created', created('b'));
    bus.publish('agent.log', 'hello');
    bus.publish('task.completed', completed('b'));
    expect(bus.log.size).toBe(3);
    expect(bus.log.evicted).toBe(2);
    expect(bus.log.query().map((e) => e.seq)).toEqual([3, 4, 5]);
    expect(bus.log.query({ topic: 'task.completed' }).map((e) => e.payload.taskId)).toEqual(['b']);
  });

  it('answers queries by topic, time range, correlation id, source and last n', () => {
    const bus = testScheduler().run(({ cold }) => {
      const bus = createBus({ topics });
      // t=0 r1 created a; t=10 r1 completed a; t=20 r2 created b; t=30 r2 log (coder); t=40 r2 completed b
      cold('a 9ms b 9ms c 9ms d 9ms e').subscribe((step) => {
        if (step === 'a') bus.publish('task.created', created('a'), { correlationId: 'r1' });
        if (step === 'b') bus.publish('task.completed', completed('a'), { correlationId: 'r1' });
        if (step === 'c') bus.publish('task.created', created('b'), { correlationId: 'r2' });
        if (step === 'd') bus.publish('agent.log', 'note', { correlationId: 'r2', source: 'coder' });
        if (step === 'e') bus.publish('task.completed', completed('b', false), { correlationId: 'r2' });
      });
      return bus;
    });
    const seqs = (events: { seq: number }[]) => events.map((e) => e.seq);
    expect(seqs(bus.log.query())).toEqual([1, 2, 3, 4, 5]);
    expect(seqs(bus.log.query({ topic: 'task.created' }))).toEqual([1, 3]);
    expect(seqs(bus.log.query({ topic: ['task.created', 'agent.log'] }))).toEqual([1, 3, 4]);
    expect(seqs(bus.log.query({ from: 10, to: 30 }))).toEqual([2, 3, 4]); // both bounds inclusive
    expect(seqs(bus.log.query({ from: 31 }))).toEqual([5]);
    expect(seqs(bus.log.query({ correlationId: 'r2' }))).toEqual([3, 4, 5]);
    expect(seqs(bus.log.query({ correlationId: 'r2', topic: 'task.completed', to: 39 }))).toEqual([]);
    expect(seqs(bus.log.query({ source: 'coder' }))).toEqual([4]);
    expect(seqs(bus.log.query({ correlationId: 'r2', last: 2 }))).toEqual([4, 5]);
    const failures = bus.log.query({ topic: 'task.completed' }).filter((e) => !e.payload.success);
    expect(failures.map((e) => e.payload.taskId)).toEqual(['b']);
  });

  it('logSize 0 keeps nothing but still delivers', () => {
    const bus = createBus({ topics, logSize: 0 });
    const seen: number[] = [];
    bus.subscribe('agent.log').subscribe((e) => seen.push(e.seq));
    bus.publish('agent.log', 'a');
    bus.publish('agent.log', 'b');
    expect(seen).toEqual([1, 2]);
    expect(bus.log.query()).toEqual([]);
    expect(bus.log.evicted).toBe(2);
  });

  it('holds 10,000 events of a 100-event log in order', () => {
    const bus = createBus({ topics, logSize: 100 });
    for (let i = 0; i < 10_000; i++) bus.publish('agent.log', `line ${i}`);
    const events = bus.log.query();
    expect(events).toHaveLength(100);
    expect(events[0]!.seq).toBe(9_901);
    expect(events.at(-1)!.payload).toBe('line 9999');
    expect(bus.log.evicted).toBe(9_900);
  });
});
