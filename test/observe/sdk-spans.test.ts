/**
 * The Anthropic SDK's own spans (`anthropic.messages.create`, one per API call) nest under the
 * attempt span of the node making the call, when the run is traced with traceRunEvents(): the real
 * SDK over HTTP against the fake Messages API, real time.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lastValueFrom, tap, toArray } from 'rxjs';
import { z } from 'zod';
import Anthropic from '@anthropic-ai/sdk';
import { ROOT_CONTEXT, context, type Context, type ContextManager } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { anthropicModel, execute, graph, llm, type Model } from 'rx-orchestra';
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

let server: FakeAnthropic;
let exporter: InMemorySpanExporter;
let provider: BasicTracerProvider;
let claude: Model;

beforeEach(async () => {
  server = await startFakeAnthropic();
  exporter = new InMemorySpanExporter();
  provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
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

  it("an agent() node's API calls, one per step, are children of the attempt span (siblings of the step spans)", async () => {
    server.reply({ toolUse: [{ name: 'lookup', input: { q: 'rxjs' } }] }, { text: 'done' });
    const lookup = tool({ name: 'lookup', description: 'Looks a word up', input: z.object({ q: z.string() }), run: ({ q }) => Promise.resolve(`found ${q}`) });
    const g = graph()
      .node('scout', { run: agent({ prompt: () => 'explore', tools: [lookup] }) })
      .build();
    const events = await lastValueFrom(execute(g, { model: claude, runId: 'sdk-2' }).pipe(tap(traceRunEvents(provider.getTracer('rx'))), toArray()));
    expect(events.at(-1)).toMatchObject({ type: 'run.completed', summary: { status: 'succeeded' } });
    const spans = exporter.getFinishedSpans();
    const attempt = spans.find((s) => s.name === 'rx.attempt scout #1')!;
    const calls = spans.filter((s) => s.name === 'anthropic.messages.create');
    expect(calls).toHaveLength(2);
    expect(calls.map(parentOf)).toEqual([idOf(attempt), idOf(attempt)]);
    expect(spans.filter((s) => s.name.startsWith('chat ')).map(parentOf)).toEqual([idOf(attempt), idOf(attempt)]);
    expect(openCallScopes()).toBe(0);
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
