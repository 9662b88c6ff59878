/** Everything here is a subscriber of the run's event stream: logs, run log files, metrics, traces. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createRunLogger, logRunEvents, readRunLog, runMetrics, RunLogError, traceRunEvents, writeRunLog } from 'rx-orchestra/observe';
import { execute, graph, type RunEvent } from 'rx-orchestra';
import { failAfter, record, testScheduler, work } from '../run/virtual-run.js';

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

  it('costs nothing without an SDK: the API is a no-op', () => {
    expect(() => sampleRun().forEach(traceRunEvents())).not.toThrow();
  });
});
