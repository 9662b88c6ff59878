/** Everything here is a subscriber of the run's event stream: logs, run log files, metrics, traces. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createRunLogger, logRunEvents, readRunLog, REDACTED_PATHS, runMetrics, RunLogError, traceRunEvents, writeRunLog } from 'rx-orchestra/observe';
import { execute, graph, type RunEvent } from 'rx-orchestra';
import { failAfter, record, testScheduler, work } from '../run/virtual-run.js';
import { RunState } from '../../src/run/run-state.js';
import { agentRun } from './agent-run.js';

/** A small run with an agent label, a retry, a failure, a skip and a fallback. */
function sampleRun(): RunEvent[] {
  return testScheduler().run(() => {
    const g = graph()
      .node('research', { run: () => work(30, 'found it'), meta: { agent: 'researcher' } })
      .node('flaky', { run: () => failAfter(5, Object.assign(new Error('overloaded'), { status: 529 })), retry: { count: 1, initialDelay: 10, jitter: 0 }, meta: { agent: 'writer' } })
      .node('after', { deps: ['flaky'], run: () => work(1, 1) })
      .node('saved', { run: () => failAfter(2), fallback: { value: 'cached' }, meta: { agent: 'writer' } })
      .build();
    return record(execute(g, { runId: 'trace-42' }));
  });
}

function capture() {
  const lines: Record<string, unknown>[] = [];
  return { lines, destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) } };
}

describe('structured logs (pino)', () => {
  it('writes one JSON record per event, each with run id, node, agent and attempt, in order', () => {
    const { lines, destination } = capture();
    sampleRun().forEach(logRunEvents({ destination, level: 'debug' }));
    const story = lines.filter((l) => l.runId === 'trace-42');
    expect(story.length).toBe(lines.length);
    expect(story.map((l) => l.event)).toContain('node.retrying');
    const retry = story.find((l) => l.event === 'node.retrying')!;
    expect(retry).toMatchObject({ nodeId: 'flaky', agent: 'writer', attempt: 1, level: 40, msg: 'node.retrying' });
    expect(story.find((l) => l.event === 'node.failed')).toMatchObject({ nodeId: 'flaky', level: 50 });
    expect(story.map((l) => l.at as number)).toEqual([...story.map((l) => l.at as number)].sort((a, b) => a - b));
  });

  it('leaves out prompt and response bodies unless asked, and respects the level', () => {
    const quiet = capture();
    sampleRun().forEach(logRunEvents({ destination: quiet.destination, level: 'info' }));
    const done = quiet.lines.find((l) => l.event === 'node.succeeded')!;
    expect(done.value).toBeUndefined();
    expect(done.valueSize).toBe('found it'.length);
    expect(quiet.lines.some((l) => l.event === 'node.queued')).toBe(false); // debug
    const loud = capture();
    sampleRun().forEach(logRunEvents({ destination: loud.destination, level: 'info', includeBodies: true }));
    expect(loud.lines.find((l) => l.event === 'node.succeeded')).toMatchObject({ value: 'found it' });
  });

  it('redacts API keys and auth headers wherever they appear', () => {
    const { lines, destination } = capture();
    const logger = createRunLogger({ destination });
    logger.info({ apiKey: 'sk-ant-secret', request: { headers: { authorization: 'Bearer sk-ant-secret', 'x-api-key': 'sk-ant-secret' } } }, 'call');
    expect(JSON.stringify(lines)).not.toContain('sk-ant-secret');
    expect(lines[0]).toMatchObject({ apiKey: '[REDACTED]', request: { headers: { authorization: '[REDACTED]', 'x-api-key': '[REDACTED]' } } });
  });

  it('redacts secret keys at depth 1 to 3, in headers, arrays and errors, in any letter case, and leaves the rest alone', () => {
    const { lines, destination } = capture();
    const logger = createRunLogger({ destination });
    const error = Object.assign(new Error('bad request'), { status: 400, request: { headers: { 'X-API-Key': 'sk-ant-secret' } } });
    const record = {
      count: 3,
      note: 'plain string',
      ok: true,
      a: { apiKey: 'sk-ant-secret', keep: 1 }, // depth 1
      b: { c: { APIKEY: 'sk-ant-secret', keep: 'x' } }, // depth 2
      d: { e: { f: { 'x-api-key': 'sk-ant-secret' } } }, // depth 3
      headers: { Authorization: 'Bearer sk-ant-secret', 'X-Api-Key': 'sk-ant-secret', 'content-type': 'application/json' },
      calls: [{ headers: { authorization: 'Bearer sk-ant-secret' } }, 'text', 7, [{ apiKey: { nested: 'sk-ant-secret' } }]],
      err: error,
    };
    const before = JSON.stringify(record);
    logger.info(record, 'call');
    expect(JSON.stringify(lines)).not.toContain('sk-ant-secret');
    expect(lines[0]).toMatchObject({
      count: 3,
      note: 'plain string',
      ok: true,
      msg: 'call',
      a: { apiKey: '[REDACTED]', keep: 1 },
      b: { c: { APIKEY: '[REDACTED]', keep: 'x' } },
      d: { e: { f: { 'x-api-key': '[REDACTED]' } } },
      headers: { Authorization: '[REDACTED]', 'X-Api-Key': '[REDACTED]', 'content-type': 'application/json' },
      calls: [{ headers: { authorization: '[REDACTED]' } }, 'text', 7, [{ apiKey: '[REDACTED]' }]],
      err: { type: 'Error', message: 'bad request', status: 400, request: { headers: { 'X-API-Key': '[REDACTED]' } } },
    });
    expect((lines[0]!.err as { stack: string }).stack).toContain('bad request');
    expect(JSON.stringify(record)).toBe(before); // the logged objects are not touched
    expect(error.request.headers['X-API-Key']).toBe('sk-ant-secret');
  });

  it('redacts the bindings of child loggers and what a child formatter adds', () => {
    const { lines, destination } = capture();
    const logger = createRunLogger({ destination });
    logger.child({ apiKey: 'sk-ant-secret', config: { headers: { authorization: 'sk-ant-secret' } } }).child({ run: 'r1' }).info({ n: 1 }, 'child');
    logger.child({}, { formatters: { log: (object) => ({ ...object, extra: { 'x-api-key': 'sk-ant-secret' } }) } }).info({}, 'formatted');
    expect(JSON.stringify(lines)).not.toContain('sk-ant-secret');
    expect(lines[0]).toMatchObject({ apiKey: '[REDACTED]', config: { headers: { authorization: '[REDACTED]' } }, run: 'r1', n: 1 });
    expect(lines[1]).toMatchObject({ extra: { 'x-api-key': '[REDACTED]' } });
  });

  it('redacts every path of REDACTED_PATHS', () => {
    for (const path of REDACTED_PATHS) {
      const { lines, destination } = capture();
      const keys = (path.match(/[^.[\]"]+/g) ?? []).map((key) => (key === '*' ? 'anything' : key));
      const record = keys.reduceRight<unknown>((inner, key) => ({ [key]: inner }), 'sk-ant-secret') as Record<string, unknown>;
      createRunLogger({ destination }).info(record, 'path');
      expect(keys.reduce<unknown>((inner, key) => (inner as Record<string, unknown>)[key], lines[0]), path).toBe('[REDACTED]');
    }
  });
});

describe('run log files (JSON lines)', () => {
  it('writes { timestamp, agent, node, ms, event } per line and reads it back, validated', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'rx-log-')), 'runs.jsonl');
    const write = writeRunLog(path, { append: false });
    const events = sampleRun();
    events.forEach(write);
    await write.close();
    const lines = readRunLog(path);
    expect(lines.map((l) => l.event)).toEqual(events);
    expect(lines.find((l) => l.event.type === 'node.succeeded' && l.node === 'research')).toMatchObject({ timestamp: 30, agent: 'researcher', node: 'research', ms: 30 });
  });

  it('names the file and line of a bad record', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'rx-log-')), 'bad.jsonl');
    writeFileSync(path, `${JSON.stringify({ event: { type: 'node.started', runId: 'r', nodeId: 'a', at: 0, attempt: 1 } })}\nnot json\n`);
    expect(() => readRunLog(path)).toThrow(RunLogError);
    expect(() => readRunLog(path)).toThrow(/bad\.jsonl:2: not JSON/);
    expect(readFileSync(path, 'utf8')).toContain('node.started');
  });

  it('counts blank lines in the line number it names (what an editor shows)', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'rx-log-')), 'gaps.jsonl');
    writeFileSync(path, `${JSON.stringify({ event: { type: 'node.started', runId: 'r', nodeId: 'a', at: 0, attempt: 1 } })}\n\n\nnot json\n`);
    expect(() => readRunLog(path)).toThrow(/gaps\.jsonl:4: not JSON/);
  });
});

describe('metrics', () => {
  it('answers per agent and node: calls, latency percentiles, failures, retries, fallbacks; slowest and most called agent', () => {
    const metrics = runMetrics(sampleRun());
    expect(metrics.byAgent.writer).toMatchObject({ calls: 3, retries: 1, failures: 1, fellBack: 1, succeeded: 1 });
    expect(metrics.byAgent.researcher).toMatchObject({ calls: 1, succeeded: 1, p50Ms: 30, p95Ms: 30 });
    expect(metrics.slowestAgent).toBe('researcher');
    expect(metrics.mostCalledAgent).toBe('writer');
    expect(metrics.routedAround).toEqual([{ nodeId: 'saved', agent: 'writer', how: 'fallback', error: 'boom' }]);
    expect(metrics.routingCallsPerRequest).toBeUndefined();
  });
});

describe('agent nodes: steps, tool calls and thinking', () => {
  it('the reducer counts per node agent steps, tool calls, tool failures, the last tool and thinking characters', () => {
    const run = new RunState();
    for (const event of agentRun()) run.apply(event);
    expect(run.nodes.get('scout')).toMatchObject({ agentSteps: 3, toolCalls: 3, toolFailures: 1, lastTool: 'lookup', thinkingChars: 'Let me look.'.length });
    expect(run.nodes.get('plain')).toMatchObject({ agentSteps: 0, toolCalls: 0, toolFailures: 0, lastTool: undefined, thinkingChars: 0 });
    expect(run.tools.size).toBe(0); // per-tool tallies only when asked
  });

  it('runMetrics reports per tool: calls, failures, p50/p95/max durations', () => {
    const metrics = runMetrics(agentRun());
    expect(metrics.tools).toEqual({
      lookup: { calls: 2, failures: 0, p50Ms: 5, p95Ms: 7, maxMs: 7 },
      grep: { calls: 1, failures: 1, p50Ms: 3, p95Ms: 3, maxMs: 3 },
    });
    expect(runMetrics(sampleRun()).tools).toEqual({});
  });
});

describe('OpenTelemetry traces', () => {
  it('makes a span per run, node and attempt, with retry and error events, in the in-memory exporter', () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    sampleRun().forEach(traceRunEvents(provider.getTracer('test')));
    const spans = exporter.getFinishedSpans();
    const byName = (name: string) => spans.filter((s) => s.name === name);
    const run = byName('rx.run')[0]!;
    expect(run.attributes).toMatchObject({ 'rx.run.id': 'trace-42', 'rx.run.status': 'partial' });
    const flaky = byName('rx.node flaky')[0]!;
    expect(flaky.parentSpanContext?.spanId).toBe(run.spanContext().spanId);
    expect(flaky.events.map((e) => e.name)).toEqual(['retry']);
    expect(flaky.status.code).toBe(2); // ERROR
    const attempts = spans.filter((s) => s.name.startsWith('rx.attempt flaky'));
    expect(attempts.map((s) => s.name)).toEqual(['rx.attempt flaky #1', 'rx.attempt flaky #2']);
    expect(attempts.every((s) => s.parentSpanContext?.spanId === flaky.spanContext().spanId)).toBe(true);
    expect(byName('rx.node saved')[0]!.events.map((e) => e.name)).toEqual(['fallback']);
  });

  it('agent nodes: a chat span per step under the attempt, an execute_tool span per tool call under its step, GenAI attributes, failed tools in error', () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    agentRun().forEach(traceRunEvents(provider.getTracer('test')));
    const spans = exporter.getFinishedSpans();
    const idOf = (span: (typeof spans)[number]) => span.spanContext().spanId;
    const attempt = spans.find((s) => s.name === 'rx.attempt scout #1')!;
    expect(attempt.attributes).toMatchObject({ 'gen_ai.usage.input_tokens': 450, 'gen_ai.usage.output_tokens': 40 }); // summed over the steps
    const chats = spans.filter((s) => s.attributes['gen_ai.operation.name'] === 'chat');
    // Durations in run ms (a span's own; its start and end are placed against the wall clock, and a start time of 0 means "now" to the SDK).
    const ms = (t: [number, number]) => Math.round(t[0] * 1e3 + t[1] / 1e6);
    expect(chats.map((s) => [s.name, s.attributes['rx.agent.step']])).toEqual([
      ['chat claude-sonnet-4-5', 1],
      ['chat claude-sonnet-4-5', 2],
      ['chat claude-sonnet-4-5', 3],
    ]);
    expect(chats.slice(1).map((s) => ms(s.duration))).toEqual([10, 10]); // from the step's call to its answer
    expect(chats.every((s) => s.parentSpanContext?.spanId === idOf(attempt))).toBe(true);
    expect(chats[0]!.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': 'claude-sonnet-4-5',
      'gen_ai.usage.input_tokens': 100,
      'gen_ai.usage.output_tokens': 20,
      'gen_ai.response.finish_reasons': ['tool_use'],
    });
    const calls = spans.filter((s) => s.attributes['gen_ai.operation.name'] === 'execute_tool');
    expect(calls.map((s) => [s.name, s.attributes['gen_ai.tool.name'], s.attributes['gen_ai.tool.call.id'], s.status.code, s.parentSpanContext?.spanId])).toEqual([
      ['execute_tool grep', 'grep', 'toolu_2', 2, idOf(chats[0]!)],
      ['execute_tool lookup', 'lookup', 'toolu_1', 0, idOf(chats[0]!)],
      ['execute_tool lookup', 'lookup', 'toolu_3', 0, idOf(chats[1]!)],
    ]);
    expect(calls.map((s) => ms(s.duration))).toEqual([3, 5, 7]);
    expect(calls[0]!.status.message).toBe('grep: no such file');
    expect(calls[0]!.attributes['error.type']).toBe('Error');
  });

  it('costs nothing without an SDK: the API is a no-op', () => {
    expect(() => sampleRun().forEach(traceRunEvents())).not.toThrow();
  });
});
