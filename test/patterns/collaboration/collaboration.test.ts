/**
 * Peer collaboration in virtual time: peers on scripted models message each other over the bus,
 * each reply a `peer.turn` at its exact frame; the conversation ends when `until` accepts a reply
 * (the addressed peer is then never called), at `maxTurns` (a typed MAX_TURNS error, or a finish),
 * when the run's budget stops it mid-conversation, or when the run is cancelled mid-turn.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { filter, map, of, tap, type Observable } from 'rxjs';
import { execute, graph, type RunEvent } from 'rx-orchestra';
import { collaboration, collaborationTopics, createBus, isCollaborationError, peer, type CollaborationResult, type PeerMessage } from 'rx-orchestra/patterns';
import { scriptedModel, type ScriptedModelStep } from 'rx-orchestra/testing';
import { PeerFinishedEventSchema, PeerTurnEventSchema } from '../../../src/patterns/collaboration/events.js';
import { testScheduler } from '../../run/virtual-run.js';

/** An event as a plain record (peer events are not in `RunEvent` until the lead merges them). */
type AnyEvent = { type: string; at: number; nodeId?: string } & Record<string, unknown>;

function line(event: RunEvent): string {
  const e = event as unknown as AnyEvent;
  switch (e.type) {
    case 'peer.turn':
      return `#${String(e.turn)} ${String(e.from)}→${String(e.to)} ${String(e.durationMs)}ms ${String(e.preview)}`;
    case 'peer.finished':
      return `finished ${String(e.reason)} turns=${String(e.turns)}`;
    case 'node.usage':
      return `usage ${String((e.usage as { inputTokens: number }).inputTokens)}`;
    case 'node.failed':
      return `failed ${String((e.error as { code?: string }).code)}`;
    case 'node.skipped':
      return `skipped ${String((e.cause as { kind: string }).kind)}`;
    case 'node.succeeded':
      return `ok ${(e.value as CollaborationResult<string>).reason} ${(e.value as CollaborationResult<string>).output}`;
    case 'budget.exceeded':
      return 'budget.exceeded';
    default:
      return e.type;
  }
}
const SHOWN = ['peer.turn', 'peer.finished', 'node.failed', 'node.skipped', 'node.succeeded', 'budget.exceeded'];
const lines = (run$: Observable<RunEvent>, shown = SHOWN) =>
  run$.pipe(
    filter((e) => shown.includes(e.type) && !('nodeId' in e && e.nodeId === 'topic')),
    map(line),
  );

function expectValidPeerEvents(events: readonly RunEvent[]): void {
  for (const event of events as unknown as AnyEvent[]) {
    const schema = event.type === 'peer.turn' ? PeerTurnEventSchema : event.type === 'peer.finished' ? PeerFinishedEventSchema : undefined;
    if (!schema) continue;
    const parsed = schema.safeParse(JSON.parse(JSON.stringify(event)));
    expect(parsed.success, `${event.type}: ${parsed.error?.message ?? ''}`).toBe(true);
  }
}

const WRITER = 'You write one short paragraph. Revise it when the critic asks.';
const CRITIC = 'You review the paragraph. Reply APPROVED alone when it needs nothing more.';

/** A writer and a critic on their own scripted models (writer 20 ms a reply, critic 5 ms), ungoverned for exact frames. */
function team(writerScript: ScriptedModelStep[], criticScript: ScriptedModelStep[], options: { maxTurns?: number; onMaxTurns?: 'error' | 'finish'; model?: string } = {}) {
  const settings = { whenExhausted: 'repeatLast' as const, ...(options.model ? { model: options.model } : {}) };
  const writerModel = scriptedModel(writerScript, settings);
  const criticModel = scriptedModel(criticScript, settings);
  const bus = createBus({ topics: collaborationTopics });
  const run = collaboration({
    peers: {
      writer: peer({ system: WRITER, provider: writerModel, governed: false, maxTokens: 100 }),
      critic: peer({ system: CRITIC, provider: criticModel, governed: false, maxTokens: 100 }),
    },
    start: { to: 'writer', message: ({ topic }: { topic: string }) => `Write about ${topic}.` },
    until: (message) => message.from === 'critic' && message.text.trim() === 'APPROVED',
    bus,
    ...(options.maxTurns !== undefined ? { maxTurns: options.maxTurns } : {}),
    ...(options.onMaxTurns !== undefined ? { onMaxTurns: options.onMaxTurns } : {}),
  });
  const g = graph()
    .node('topic', { run: () => of('RxJS schedulers') })
    .node('article', { deps: ['topic'], run })
    .build();
  return { g, writerModel, criticModel, bus };
}

describe('collaboration(): peers messaging each other, with exact frames', () => {
  it('converges: writer and critic take turns until the critic approves; the value is the last draft', () => {
    let value: CollaborationResult<'writer' | 'critic'> | undefined;
    const events: RunEvent[] = [];
    const { writerModel, criticModel, bus } = testScheduler().run(({ expectObservable }) => {
      const setup = team(
        [
          { text: 'Schedulers decide when.', after: 20 },
          { text: 'Schedulers decide when work runs, e.g. asyncScheduler.', after: 20 },
        ],
        [
          { text: 'Add an example.', after: 5 },
          { text: 'APPROVED', after: 5 },
        ],
      );
      const run$ = execute(setup.g).pipe(
        tap((e) => {
          events.push(e);
          if (e.type === 'node.succeeded' && e.nodeId === 'article') value = e.value as CollaborationResult<'writer' | 'critic'>;
        }),
      );
      expectObservable(lines(run$)).toBe('20ms a 4ms b 19ms c 4ms (def|)', {
        a: '#1 writer→critic 20ms Schedulers decide when.',
        b: '#2 critic→writer 5ms Add an example.',
        c: '#3 writer→critic 20ms Schedulers decide when work runs, e.g. asyncScheduler.',
        d: '#4 critic→writer 5ms APPROVED',
        e: 'finished until turns=4',
        f: 'ok until Schedulers decide when work runs, e.g. asyncScheduler.',
      });
      return setup;
    });
    expect(value).toMatchObject({ reason: 'until', turns: 4, final: { turn: 4, from: 'critic', to: 'writer', text: 'APPROVED', at: 50 } });
    expect(value!.transcript.map((m) => `${m.turn} ${m.from}→${m.to} t=${m.at}`)).toEqual(['0 user→writer t=0', '1 writer→critic t=20', '2 critic→writer t=25', '3 writer→critic t=45', '4 critic→writer t=50']);
    // The writer is never asked again after the approval: two calls each.
    expect([writerModel.calls.length, criticModel.calls.length]).toEqual([2, 2]);
    // Each peer sees the conversation as its own: its messages are its turns, the others' the user's.
    expect(criticModel.calls[1]!.request).toMatchObject({
      system: CRITIC,
      maxTokens: 100,
      history: [
        { role: 'user', content: '<message from="user">\nWrite about RxJS schedulers.\n</message>\n\n<message from="writer">\nSchedulers decide when.\n</message>' },
        { role: 'assistant', content: 'Add an example.' },
      ],
      prompt: '<message from="writer">\nSchedulers decide when work runs, e.g. asyncScheduler.\n</message>',
    });
    expect(writerModel.calls[1]!.request.history).toEqual([
      { role: 'user', content: '<message from="user">\nWrite about RxJS schedulers.\n</message>' },
      { role: 'assistant', content: 'Schedulers decide when.' },
    ]);
    // Every message went over the bus, with the attempt's correlation id.
    const onBus = bus.log.query({ topic: 'peer.message' });
    expect(onBus.map((e) => `${e.payload.turn} ${e.payload.from}→${e.payload.to}`)).toEqual(['0 user→writer', '1 writer→critic', '2 critic→writer', '3 writer→critic', '4 critic→writer']);
    expect(new Set(onBus.map((e) => e.correlationId)).size).toBe(1);
    expect(onBus[0]!.correlationId).toMatch(/\/article#1$/);
    // Every reply reported its usage on the node, added up in the run's summary.
    expect(events.filter((e) => e.type === 'node.usage' && e.nodeId === 'article').map((e) => e.at)).toEqual([20, 25, 45, 50]);
    expect(events.at(-1)).toMatchObject({ type: 'run.completed', summary: { usage: { total: { calls: 4 } } } });
    expectValidPeerEvents(events);
  });

  it('hits its turn limit: MAX_TURNS keeps the transcript, at most maxTurns calls; onMaxTurns finish ends with the last reply', () => {
    const { writerModel, criticModel } = testScheduler().run(({ expectObservable }) => {
      const setup = team([{ text: 'Draft.', after: 20 }], [{ text: 'Not yet.', after: 5 }], { maxTurns: 3 });
      expectObservable(lines(execute(setup.g))).toBe('20ms a 4ms b 19ms (cde|)', {
        a: '#1 writer→critic 20ms Draft.',
        b: '#2 critic→writer 5ms Not yet.',
        c: '#3 writer→critic 20ms Draft.',
        d: 'finished maxTurns turns=3',
        e: 'failed MAX_TURNS',
      });
      return setup;
    });
    expect([writerModel.calls.length, criticModel.calls.length]).toEqual([2, 1]); // the critic is not asked a 4th turn

    const finished = testScheduler().run(({ expectObservable }) => {
      const setup = team([{ text: 'Draft.', after: 20 }], [{ text: 'Not yet.', after: 5 }], { maxTurns: 2, onMaxTurns: 'finish' });
      expectObservable(lines(execute(setup.g))).toBe('20ms a 4ms (bcd|)', {
        a: '#1 writer→critic 20ms Draft.',
        b: '#2 critic→writer 5ms Not yet.',
        c: 'finished maxTurns turns=2',
        d: 'ok maxTurns Draft.',
      });
      return setup;
    });
    expect(finished.writerModel.calls.length).toBe(1);
  });

  it('the MAX_TURNS error is typed and keeps the conversation (what a fallback sees)', async () => {
    let caught: unknown;
    const writerModel = scriptedModel([{ text: 'Draft.' }], { whenExhausted: 'repeatLast' });
    const criticModel = scriptedModel([{ text: 'Not yet.' }], { whenExhausted: 'repeatLast' });
    const run = collaboration({
      peers: { writer: peer({ system: WRITER, provider: writerModel, governed: false }), critic: peer({ system: CRITIC, provider: criticModel, governed: false }) },
      start: { to: 'writer', message: () => 'Write.' },
      until: () => false,
      maxTurns: 4,
    });
    const g = graph()
      .node('article', {
        run,
        fallback: (error) => {
          caught = error;
          return isCollaborationError(error) ? (error.transcript.at(-2)?.text ?? '') : '';
        },
      })
      .build();
    const events: RunEvent[] = [];
    await new Promise<void>((resolve) => execute(g).subscribe({ next: (e) => events.push(e), complete: resolve }));
    expect(isCollaborationError(caught) && [caught.code, caught.transcript.length, caught.retryable]).toEqual(['MAX_TURNS', 5, false]);
    expect((caught as Error).message).toBe("collaboration 'article': no reply ended the conversation within 4 turns (maxTurns); the conversation is kept in transcript");
    expect(events.find((e) => e.type === 'node.fellBack')).toMatchObject({ value: 'Draft.' });
  });

  it('terminates on the first message until accepts, with three peers taking turns and a code peer', () => {
    const seen: PeerMessage[][] = [];
    const result = testScheduler().run(({ expectObservable }) => {
      const researcher = scriptedModel([{ text: 'Fact: asap runs before async.', after: 10 }]);
      const writer = scriptedModel([{ text: 'asapScheduler runs before asyncScheduler. FINAL ANSWER', after: 10 }]);
      const run = collaboration({
        name: 'desk',
        peers: {
          researcher: peer({ system: 'You find facts.', provider: researcher, governed: false }),
          checker: peer({
            respond: ({ transcript, turn, peer: self }) => {
              seen.push([...transcript]);
              return of(`${self} ok at turn ${turn}`);
            },
          }),
          writer: peer({ system: 'You write. End with FINAL ANSWER.', provider: writer, governed: false }),
        },
        start: { to: 'researcher', message: () => 'Which scheduler runs first?', from: 'editor' },
        until: (message) => message.text.endsWith('FINAL ANSWER'),
        answerFrom: 'writer',
      });
      expectObservable(lines(execute(graph().node('answer', { run }).build()))).toBe('10ms (ab) 6ms (cde|)', {
        a: '#1 researcher→checker 10ms Fact: asap runs before async.',
        b: '#2 checker→writer 0ms checker ok at turn 2',
        c: '#3 writer→researcher 10ms asapScheduler runs before asyncScheduler. FINAL ANSWER',
        d: 'finished until turns=3',
        e: 'ok until asapScheduler runs before asyncScheduler. FINAL ANSWER',
      });
      return { researcher, writer };
    });
    expect(result.researcher.calls.length).toBe(1); // addressed the final message, never asked
    expect(seen[0]!.map((m) => `${m.from}→${m.to}`)).toEqual(['editor→researcher', 'researcher→checker']);
  });

  it('stops mid-conversation when the run goes over its budget: peer.finished budget, the call in flight aborted', () => {
    const events: RunEvent[] = [];
    const models = testScheduler().run(({ expectObservable }) => {
      // Haiku: $1 per million input tokens; each reply reports 60,000 input tokens ($0.06).
      const usage = { inputTokens: 60_000, outputTokens: 0 };
      const setup = team(
        [
          { text: 'Draft.', after: 20, usage },
          { text: 'Draft 2.', after: 20, usage },
        ],
        [{ text: 'Not yet.', after: 5, usage }],
        { model: 'claude-haiku-4-5', maxTurns: 6 },
      );
      const run$ = execute(setup.g, { budget: { maxUsd: 0.1 } }).pipe(tap((e) => events.push(e)));
      expectObservable(lines(run$)).toBe('20ms a 4ms (bcde|)', {
        a: '#1 writer→critic 20ms Draft.',
        b: 'budget.exceeded', // the critic's reply crossed the budget: the run stops the node right after it
        c: '#2 critic→writer 5ms Not yet.',
        d: 'finished budget turns=2',
        e: 'skipped budget',
      });
      return setup;
    });
    // The writer's second call had started at 25 when the budget stopped the run: aborted, never answered.
    expect(models.writerModel.calls.map((c) => c.result)).toEqual(['replied', 'failed']);
    expect(models.writerModel.calls[1]).toMatchObject({ startedAt: 25, endedAt: 25, signalAborted: true });
    expect(events.at(-1)).toMatchObject({ type: 'run.completed', summary: { status: 'failed', stoppedBy: 'budget', usage: { total: { calls: 2 } } } });
    expectValidPeerEvents(events);
  });

  it('cancellation mid-turn aborts the call in flight; no peer speaks after', () => {
    const { writerModel, criticModel } = testScheduler().run(({ expectObservable }) => {
      const setup = team([{ text: 'Draft.', after: 20 }], [{ text: 'Not yet.', after: 5 }]);
      expectObservable(lines(execute(setup.g)), '^ 21ms !').toBe('20ms a', { a: '#1 writer→critic 20ms Draft.' });
      return setup;
    });
    expect(criticModel.calls).toMatchObject([{ startedAt: 20, endedAt: 22, result: 'failed', signalAborted: true }]);
    expect(writerModel.calls.length).toBe(1);
  });

  it('a failing call fails the node with its own error, after peer.finished failed', () => {
    const events: RunEvent[] = [];
    testScheduler().run(() => {
      const boom = Object.assign(new Error('overloaded'), { retryable: true, status: 529 });
      const setup = team([{ text: 'Draft.', after: 20 }], [{ fail: boom, after: 5 }]);
      execute(setup.g).subscribe((e) => events.push(e));
    });
    const failed = events.filter((e) => ['peer.finished', 'node.failed'].includes(e.type)).map(line);
    expect(failed).toEqual(['finished failed turns=1', 'failed undefined']);
    expect(events.find((e) => e.type === 'node.failed')).toMatchObject({ at: 25, error: { message: 'overloaded', retryable: true, status: 529 } });
  });

  it('refuses bad options at once, naming the option', () => {
    const a = peer({ system: 'a' });
    const b = peer({ system: 'b' });
    const until = () => true;
    const start = { to: 'a' as const, message: () => 'hi' };
    for (const [options, option] of [
      [{ peers: { a }, start, until }, 'peers'],
      [{ peers: { a, b: {} }, start, until }, 'peers.b.system'],
      [{ peers: { a, b }, start: { to: 'c', message: () => 'hi' }, until }, 'start.to'],
      [{ peers: { a, b }, start: { ...start, from: 'b' }, until }, 'start.from'],
      [{ peers: { a, b }, start }, 'until'],
      [{ peers: { a, b }, start, until, maxTurns: 0 }, 'maxTurns'],
      [{ peers: { a, b }, start, until, onMaxTurns: 'stop' }, 'onMaxTurns'],
      [{ peers: { a, b }, start, until, answerFrom: 'c' }, 'answerFrom'],
    ] as const) {
      let caught: unknown;
      try {
        collaboration(options as never);
      } catch (error) {
        caught = error;
      }
      expect(isCollaborationError(caught) && [caught.code, caught.option]).toEqual(['INVALID_OPTIONS', option]);
    }
  });

  it('an invalid route is a typed error', () => {
    const events: RunEvent[] = [];
    testScheduler().run(() => {
      const run = collaboration({
        peers: { a: peer({ respond: () => ['x'] }), b: peer({ respond: () => ['y'] }) },
        start: { to: 'a', message: () => 'go' },
        until: () => false,
        route: (message) => message.from as 'a', // back to itself
      });
      execute(graph().node('n', { run }).build()).subscribe((e) => events.push(e));
    });
    expect(events.find((e) => e.type === 'node.failed')).toMatchObject({ error: { code: 'INVALID_ROUTE', message: `collaboration 'n': its route sent turn 1 of 'a' to "a", not to another of its peers (a, b)` } });
  });

  it('estimates the whole conversation before the run, and carries no node deadline', () => {
    const run = collaboration({
      peers: { writer: peer({ system: 'w'.repeat(400), model: 'claude-haiku-4-5', maxTokens: 200 }), critic: peer({ system: 'c', maxTokens: 100 }) },
      start: { to: 'writer', message: () => 'go' },
      until: () => true,
      maxTurns: 5,
    });
    expect(run.defaultTimeout).toBe(false);
    expect(run.peers).toEqual(['writer', 'critic']);
    // base = 100 (the longest system prompt) + 100 + 50 upstream; each turn adds at most 200: mean input 250 + 4/2 x 200
    expect(run.costEstimate({ nodeId: 'n', deps: [], model: undefined, upstream: {}, upstreamOutputTokens: 50 })).toMatchObject({ model: 'claude-haiku-4-5', calls: 5, inputTokens: 650, outputTokens: 200 });
  });

  it('types: peer names are checked, inputs come from deps, the value is typed', () => {
    const g = graph()
      .node('topic', { run: async () => 'RxJS' })
      .node('article', {
        deps: ['topic'],
        run: collaboration({
          peers: { writer: peer({ system: 'w' }), critic: peer({ system: 'c' }) },
          start: {
            to: 'writer',
            message: (inputs) => {
              expectTypeOf(inputs).toEqualTypeOf<{ topic: string }>();
              return inputs.topic;
            },
          },
          until: (message) => {
            expectTypeOf(message.to).toEqualTypeOf<'writer' | 'critic'>();
            return message.text === 'APPROVED';
          },
        }),
      })
      .node('after', {
        deps: ['article'],
        run: ({ inputs }) => {
          expectTypeOf(inputs.article).toEqualTypeOf<CollaborationResult<'writer' | 'critic'>>();
          return [inputs.article.output];
        },
      })
      .build();
    expect(g).toBeDefined();
    expect(() =>
      // @ts-expect-error start.to must name a peer
      collaboration({ peers: { writer: peer({ system: 'w' }), critic: peer({ system: 'c' }) }, start: { to: 'editor', message: () => 'x' }, until: () => true }),
    ).toThrow(/start.to/);
  });
});
