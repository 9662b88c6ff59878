import { describe, expect, it } from 'vitest';
import { NEVER } from 'rxjs';
import { execute, graph, graphFromNodes, isGraphError, isOptionsError, llm, type GraphError } from 'rx-orchestra';
import { MAX_TIMEOUT_MS } from '../../src/graph/validate.js';
import { record, testScheduler } from './virtual-run.js';

/** Node.js clamps a delay above 2^31-1 ms to 1 ms: such a timeout would fire almost at once. */
const TOO_LONG = 3_000_000_000;

function graphErrorOf(build: () => unknown): GraphError {
  try {
    build();
  } catch (error) {
    if (isGraphError(error)) return error;
    throw error;
  }
  throw new Error('expected a GraphError');
}

function configErrorOf(call: () => unknown) {
  try {
    call();
  } catch (error) {
    if (isOptionsError(error, 'operators')) return error;
    throw error;
  }
  throw new Error("expected an OptionsError of scope 'operators'");
}

describe('the largest timer', () => {
  it('is 2^31-1 ms (about 24.8 days), what setTimeout can hold', () => {
    expect(MAX_TIMEOUT_MS).toBe(2_147_483_647);
  });

  it('a node timeout of exactly the maximum is accepted and fires exactly then (virtual time)', () => {
    const g = graph().node('patient', { run: () => NEVER, timeout: MAX_TIMEOUT_MS }).build();
    const events = testScheduler().run(({ flush }) => {
      const seen = record(execute(g));
      flush();
      return seen;
    });
    expect(events.find((e) => e.type === 'node.timedOut')).toMatchObject({ at: MAX_TIMEOUT_MS, timeoutMs: MAX_TIMEOUT_MS });
  });
});

describe('node timeout', () => {
  it.each([
    ['above what a timer can hold', TOO_LONG],
    ['Infinity (use false for none)', Infinity],
    ['NaN', NaN],
    ['negative', -5],
    ['zero', 0],
  ])('is refused at build time when %s, naming the node and the field', (_what, timeout) => {
    const error = graphErrorOf(() => graph().node('slow', { run: () => NEVER, timeout }).build());
    expect(error).toMatchObject({ code: 'INVALID_NODE', nodeId: 'slow', details: { field: 'timeout' } });
    expect(error.message).toContain(`node 'slow': 'timeout' must be a number of ms between 1 and ${MAX_TIMEOUT_MS}`);
  });

  it('is refused in untyped definitions too (graphFromNodes)', () => {
    const error = graphErrorOf(() => graphFromNodes([{ id: 'x', run: () => NEVER, timeout: TOO_LONG }]));
    expect(error).toMatchObject({ code: 'INVALID_NODE', nodeId: 'x', details: { field: 'timeout' } });
    expect(error.message).toMatch(/; got 3000000000$/);
  });
});

describe('node retry delays', () => {
  it.each([
    ['initialDelay', { count: 1, initialDelay: TOO_LONG }],
    ['maxDelay', { count: 1, initialDelay: 1, maxDelay: TOO_LONG }],
  ])('refuses %s above the maximum at build time', (field, retry) => {
    const error = graphErrorOf(() => graph().node('flaky', { run: () => NEVER, retry }).build());
    expect(error).toMatchObject({ code: 'INVALID_NODE', nodeId: 'flaky', details: { field: `retry.${field}` } });
    expect(error.message).toContain(`node 'flaky': 'retry.${field}' must be`);
  });

  it('refuses an uncapped backoff (maxDelay: Infinity): 40 retries would wait 2^39 s', () => {
    const error = graphErrorOf(() => graph().node('flaky', { run: () => NEVER, retry: { count: 40, initialDelay: 1000, maxDelay: Infinity } }).build());
    expect(error).toMatchObject({ code: 'INVALID_NODE', nodeId: 'flaky' });
    expect(error.message).toMatch(/^node 'flaky': .*'maxDelay' must be .*got Infinity/);
  });

  it('accepts maxDelay of exactly the maximum: every backoff delay is capped by it', () => {
    expect(() => graph().node('flaky', { run: () => NEVER, retry: { count: 40, initialDelay: 1000, maxDelay: MAX_TIMEOUT_MS } }).build()).not.toThrow();
  });

  it('still refuses negative and NaN delays (NaN, negative)', () => {
    expect(graphErrorOf(() => graph().node('n', { run: () => NEVER, retry: { count: 1, initialDelay: NaN } }).build())).toMatchObject({ code: 'INVALID_NODE', details: { field: 'retry' } });
    expect(graphErrorOf(() => graph().node('n', { run: () => NEVER, retry: { count: 1, maxDelay: -1 } }).build())).toMatchObject({ code: 'INVALID_NODE', details: { field: 'retry' } });
  });
});

describe('llm() timeouts', () => {
  const prompt = () => 'hi';

  it.each([
    ['timeout', TOO_LONG],
    ['timeout', Infinity],
    ['timeout', -1],
    ['timeout', 0],
    ['firstTokenTimeout', TOO_LONG],
    ['firstTokenTimeout', NaN],
    ['idleTimeout', TOO_LONG],
    ['idleTimeout', -300],
  ])("refuses %s: %s when llm() is called, naming the field", (field, value) => {
    const error = configErrorOf(() => llm({ prompt, [field]: value }));
    expect(error).toMatchObject({ code: 'INVALID_CONFIG', field });
    expect(error.message).toContain(`llm: '${field}' must be a number of ms between 1 and ${MAX_TIMEOUT_MS}`);
  });

  it('accepts the maximum, false for no call deadline, and leaving them out', () => {
    expect(() => llm({ prompt, timeout: MAX_TIMEOUT_MS, firstTokenTimeout: MAX_TIMEOUT_MS, idleTimeout: MAX_TIMEOUT_MS })).not.toThrow();
    expect(() => llm({ prompt, timeout: false })).not.toThrow();
    expect(() => llm({ prompt })).not.toThrow();
  });
});
