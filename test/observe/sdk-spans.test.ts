/**
 * The Anthropic SDK's own spans (`anthropic.messages.create`, one per API call) nest under the span
 * of the agent step making the call (a retried call under the same step), else under the attempt
 * span of the node, when the run is traced with traceRunEvents(); nothing stays open when a call
 * fails or the run is cancelled mid-step: the real SDK over HTTP against the fake Messages API,
 * real time.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lastValueFrom, tap, toArray, type Subscription } from 'rxjs';
import { z } from 'zod';
import Anthropic from '@anthropic-ai/sdk';
import { ROOT_CONTEXT, context, type Context, type ContextManager } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type Span, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { anthropicModel, execute, graph, llm, type Model, type RunEvent } from 'rx-orchestra';
import { traceRunEvents } from 'rx-orchestra/observe';
import { startFakeAnthropic, type FakeAnthropic } from 'rx-orchestra/testing';
import { agent } from '../../src/agents/agent.js';
import { tool } from '../../src/agents/tool.js';
import { openCallScopes } from '../../src/models/call-scope.js';

/** The context manager every Node OpenTelemetry setup registers (@opentelemetry/context-async-hooks'), in a few lines. */
class AsyncLocalStorageContextManager implements ContextManager {
  readonly #storage = new AsyncLocalStorage<Context>();
  active = () => this.#storage.getStore() ?? ROOT_CONTEXT;
  with = <A extends unknown[], F extends (...args: A) => ReturnType<F>>(ctx: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> =>
    this.#storage.run(ctx, () => fn.call(thisArg, ...args));
  bind = <T>(_ctx: Context, target: T): T => target;
  enable = () => this;
  disable = () => {
    this.#storage.disable();
    return this;
  };
}

/** Keeps the spans started and not yet ended, by name: what a trace would leave open. */
class OpenSpans implements SpanProcessor {
  readonly #open = new Set<Span>();
  onStart = (span: Span) => void this.#open.add(span);
  onEnd = (span: ReadableSpan) => void this.#open.delete(span as Span);
  forceFlush = () => Promise.resolve();
  shutdown = () => Promise.resolve();
  names = () => [...this.#open].map((span) => span.name).sort();
}

let server: FakeAnthropic;
let exporter: InMemorySpanExporter;
let open: OpenSpans;
let provider: BasicTracerProvider;
let claude: Model;

beforeEach(async () => {
  server = await startFakeAnthropic();
  exporter = new InMemorySpanExporter();
  open = new OpenSpans();
  provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter), open] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager());
  // The SDK's spans go to this provider (no global one is registered), with the client option.
  const client = new Anthropic({ apiKey: 'sk-ant-test', baseURL: server.baseURL, openTelemetry: { tracerProvider: provider } });
  claude = anthropicModel({ client, model: 'claude-sonnet-4-6' });
});
afterEach(async () => {
  context.disable();
  await server.close();
});

const idOf = (span: ReadableSpan) => span.spanContext().spanId;
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
const byStart = (a: ReadableSpan, b: ReadableSpan) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1];
const lookup = () => tool({ name: 'lookup', description: 'Looks a word up', input: z.object({ q: z.string() }), run: ({ q }) => Promise.resolve(`found ${q}`) });

describe("the Anthropic SDK's spans in a traced run", () => {
  it("an llm() node's API calls are children of their attempt's span, a retry's of the retry's attempt", async () => {
    server.reply({ status: 529 }, { text: 'second time lucky' });
    const g = graph()
      .node('ask', { run: llm({ prompt: () => 'hi' }), retry: { count: 1, initialDelay: 5, jitter: 0 } })
      .build();
    const events = await lastValueFrom(execute(g, { model: claude, runId: 'sdk-1' }).pipe(tap(traceRunEvents(provider.getTracer('rx'))), toArray()));
    expect(events.at(-1)).toMatchObject({ type: 'run.completed', summary: { status: 'succeeded' } });
    const spans = exporter.getFinishedSpans();
    const calls = spans.filter((s) => s.name === 'anthropic.messages.create');
    const attempts = ['rx.attempt ask #1', 'rx.attempt ask #2'].map((name) => spans.find((s) => s.name === name)!);
    expect(calls).toHaveLength(2);
    expect(calls.map(parentOf)).toEqual(attempts.map(idOf));
    expect(calls.every((s) => s.spanContext().traceId === attempts[0]!.spanContext().traceId)).toBe(true);
    expect(calls.map((s) => s.status.code)).toEqual([2, 1]); // ERROR (the 529), then OK (the answer)
    expect(openCallScopes()).toBe(0); // every attempt's scope closed with its span
  });

  it("an agent() node's API calls are children of their step's chat span, a retried call's of the same step; tool spans of their step", async () => {
    server.reply(
      { toolUse: [{ name: 'lookup', input: { q: 'rxjs' }, id: 'toolu_1' }] },
      { status: 429, retryAfterMs: 5 },
      { toolUse: [{ name: 'lookup', input: { q: 'zod' }, id: 'toolu_2' }] },
      { text: 'done' },
    );
    const g = graph()
      .node('scout', { run: agent({ prompt: () => 'explore', tools: [lookup()], callRetry: { count: 1, initialDelay: 5, jitter: 0 } }) })
      .build();
    const events = await lastValueFrom(execute(g, { model: claude, runId: 'sdk-2' }).pipe(tap(traceRunEvents(provider.getTracer('rx'))), toArray()));
    expect(events.at(-1)).toMatchObject({ type: 'run.completed', summary: { status: 'succeeded' } });
    expect(events.filter((e) => e.type === 'agent.retrying')).toMatchObject([{ step: 2, callAttempt: 1 }]);
    const spans = exporter.getFinishedSpans();
    const attempt = spans.find((s) => s.name === 'rx.attempt scout #1')!;
    const steps = spans.filter((s) => s.name.startsWith('chat')).sort((a, b) => Number(a.attributes['rx.agent.step']) - Number(b.attributes['rx.agent.step']));
    // One span per step, the retried step included, named and attributed when its agent.step came.
    expect(steps.map((s) => [s.name, s.attributes['rx.agent.step'], s.attributes['gen_ai.response.finish_reasons']])).toEqual([
      ['chat claude-sonnet-4-6', 1, ['tool_use']],
      ['chat claude-sonnet-4-6', 2, ['tool_use']],
      ['chat claude-sonnet-4-6', 3, ['end_turn']],
    ]);
    expect(steps.map(parentOf)).toEqual([idOf(attempt), idOf(attempt), idOf(attempt)]);
    const [one, two, three] = steps.map(idOf);
    const calls = spans.filter((s) => s.name === 'anthropic.messages.create').sort(byStart);
    expect(calls.map(parentOf)).toEqual([one, two, two, three]); // the 429 and its retry under step 2
    expect(calls.map((s) => s.status.code)).toEqual([1, 2, 1, 1]); // OK, ERROR (the 429), OK, OK
    const tools = spans.filter((s) => s.name === 'execute_tool lookup').sort(byStart);
    expect(tools.map((s) => [s.attributes['gen_ai.tool.call.id'], parentOf(s)])).toEqual([
      ['toolu_1', one],
      ['toolu_2', two],
    ]);
    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);
    expect(open.names()).toEqual([]);
    expect(openCallScopes()).toBe(0);
  });

  it("a step whose call fails ends with an error status under its attempt, and the node's retry opens new step spans", async () => {
    server.reply({ toolUse: [{ name: 'lookup', input: { q: 'rxjs' }, id: 'toolu_1' }] }, { status: 400, message: 'prompt is too long' }, { text: 'done' });
    const g = graph()
      .node('scout', { run: agent({ prompt: () => 'explore', tools: [lookup()] }), retry: { count: 1, initialDelay: 5, jitter: 0, retryIf: () => true } })
      .build();
    const events = await lastValueFrom(execute(g, { model: claude, runId: 'sdk-3' }).pipe(tap(traceRunEvents(provider.getTracer('rx'))), toArray()));
    expect(events.at(-1)).toMatchObject({ type: 'run.completed', summary: { status: 'succeeded' } });
    const spans = exporter.getFinishedSpans();
    const [first, second] = ['rx.attempt scout #1', 'rx.attempt scout #2'].map((name) => spans.find((s) => s.name === name)!);
    const order = (s: ReadableSpan) => (parentOf(s) === idOf(first!) ? 0 : 10) + Number(s.attributes['rx.agent.step']);
    const steps = spans.filter((s) => s.name.startsWith('chat')).sort((a, b) => order(a) - order(b));
    expect(steps.map((s) => [s.name, s.attributes['rx.agent.step'], s.status.code, parentOf(s)])).toEqual([
      ['chat claude-sonnet-4-6', 1, 0, idOf(first!)],
      ['chat', 2, 2, idOf(first!)], // no agent.step: ended with the attempt, in error
      ['chat claude-sonnet-4-6', 1, 0, idOf(second!)],
    ]);
    expect(steps[1]!.status.message).toContain('prompt is too long');
    const calls = spans.filter((s) => s.name === 'anthropic.messages.create').sort(byStart);
    expect(calls.map(parentOf)).toEqual(steps.map(idOf));
    expect(open.names()).toEqual([]);
    expect(openCallScopes()).toBe(0);
  });

  it('a run cancelled mid-step ends its step and attempt spans in error and closes its call scope', async () => {
    server.reply({ toolUse: [{ name: 'lookup', input: { q: 'rxjs' }, id: 'toolu_1' }] }, { text: 'never finishes', chunks: ['never', ' finishes'], stallAfterChunks: 1 });
    const g = graph()
      .node('scout', { run: agent({ prompt: () => 'explore', tools: [lookup()] }) })
      .build();
    const events: RunEvent[] = [];
    let run: Subscription | undefined;
    await new Promise<void>((resolve, reject) => {
      run = execute(g, { model: claude, runId: 'sdk-4' })
        .pipe(tap(traceRunEvents(provider.getTracer('rx'))))
        .subscribe({
          next: (event) => {
            events.push(event);
            // Step 2's call is streaming (its first delta came) and will say nothing more.
            if (event.type === 'node.token' && events.some((e) => e.type === 'agent.step')) resolve();
          },
          error: reject,
          complete: () => reject(new Error('the run ended')),
        });
    });
    expect(openCallScopes()).toBe(1);
    expect(open.names()).toEqual(['anthropic.messages.create', 'chat', 'rx.attempt scout #1', 'rx.node scout', 'rx.run']);
    run!.unsubscribe();
    await server.settled();
    await new Promise((resolve) => setImmediate(resolve));
    expect(openCallScopes()).toBe(0);
    // No event says the run is over: its node and run spans stay unended (and are dropped with the tracer).
    expect(open.names()).toEqual(['rx.node scout', 'rx.run']);
    const spans = exporter.getFinishedSpans();
    const attempt = spans.find((s) => s.name === 'rx.attempt scout #1')!;
    const step = spans.find((s) => s.name === 'chat')!;
    expect([attempt.status.code, step.status.code]).toEqual([2, 2]);
    expect(step.attributes['rx.agent.step']).toBe(2);
    expect(parentOf(step)).toBe(idOf(attempt));
    const calls = spans.filter((s) => s.name === 'anthropic.messages.create').sort(byStart);
    expect(calls.map(parentOf)).toEqual([idOf(spans.find((s) => s.name === 'chat claude-sonnet-4-6')!), idOf(step)]);
  });

  it('a run cancelled while a tool runs ends the tool and attempt spans in error and closes its call scope', async () => {
    server.reply({ toolUse: [{ name: 'wait', input: {}, id: 'toolu_1' }] });
    let started!: () => void;
    const toolStarted = new Promise<void>((resolve) => (started = resolve));
    const wait = tool({
      name: 'wait',
      description: 'Never answers',
      input: z.object({}),
      run: () => {
        started();
        return new Promise<string>(() => {});
      },
    });
    const g = graph()
      .node('scout', { run: agent({ prompt: () => 'explore', tools: [wait] }) })
      .build();
    const run = execute(g, { model: claude, runId: 'sdk-5' }).pipe(tap(traceRunEvents(provider.getTracer('rx')))).subscribe();
    await toolStarted;
    expect(open.names()).toEqual(['execute_tool wait', 'rx.attempt scout #1', 'rx.node scout', 'rx.run']);
    run.unsubscribe();
    await new Promise((resolve) => setImmediate(resolve));
    expect(openCallScopes()).toBe(0);
    expect(open.names()).toEqual(['rx.node scout', 'rx.run']);
    const spans = exporter.getFinishedSpans();
    const step = spans.find((s) => s.name === 'chat claude-sonnet-4-6')!;
    const toolSpan = spans.find((s) => s.name === 'execute_tool wait')!;
    expect(parentOf(toolSpan)).toBe(idOf(step));
    expect(toolSpan.status.code).toBe(2);
    expect(spans.find((s) => s.name === 'rx.attempt scout #1')!.status).toMatchObject({ code: 2, message: expect.stringContaining('cancelled') });
  });

  it('without traceRunEvents() the calls keep the context they had (a root span here), and nothing is left open', async () => {
    server.reply({ text: 'hello' });
    const g = graph().node('ask', { run: llm({ prompt: () => 'hi' }) }).build();
    await lastValueFrom(execute(g, { model: claude }).pipe(toArray()));
    const calls = exporter.getFinishedSpans().filter((s) => s.name === 'anthropic.messages.create');
    expect(calls).toHaveLength(1);
    expect(parentOf(calls[0]!)).toBeUndefined();
    expect(openCallScopes()).toBe(0);
  });
});
