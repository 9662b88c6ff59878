/** What stops a loop that must not go on: maxTurns, an unknown worker, a router without a decision, bad options. */
import { describe, expect, it } from 'vitest';
import { execute, graph } from 'rx-orchestra';
import { isSupervisorError, staticRouter, supervisor, supervisorTimeline, SupervisorError, type Router, type SupervisorResult } from 'rx-orchestra/patterns';
import { endOf, failAfter, record, runSupervisor, testScheduler, valueOf, work } from './helpers.js';

const writer = { run: () => work(10, 'draft') };
const reviewer = { run: () => work(5, 'looks fine') };
/** A router that never says FINISH. */
const forever = staticRouter([(s) => (s.turn % 2 === 1 ? 'writer' : 'reviewer')]);

describe('supervisor: limits and typed errors', () => {
  it('turns a router that never finishes into a MAX_TURNS error after maxTurns workers', () => {
    const events = runSupervisor(supervisor({ name: 'team', workers: { writer, reviewer }, router: forever, maxTurns: 3 }));
    expect(supervisorTimeline(events, { rationale: false })).toEqual([
      't=0 team #1 → writer',
      't=0 team #1 ▶ writer',
      't=10 team #1 ✓ writer 10ms',
      't=10 team #2 → reviewer',
      't=10 team #2 ▶ reviewer',
      't=15 team #2 ✓ reviewer 5ms',
      't=15 team #3 → writer',
      't=15 team #3 ▶ writer',
      't=25 team #3 ✓ writer 10ms',
      't=25 team #4 → reviewer', // the router had one more chance to say FINISH
    ]);
    const end = endOf(events);
    expect(end).toMatchObject({
      type: 'node.failed',
      at: 25,
      error: { name: 'SupervisorError', code: 'MAX_TURNS', retryable: false, message: "supervisor 'team': its router chose 'reviewer' after 3 turns (maxTurns) instead of FINISH" },
    });
    expect(events.some((e) => e.type === 'supervisor.finished')).toBe(false);
  });

  it("ends with the state so far on onMaxTurns: 'finish'", () => {
    const events = runSupervisor(supervisor({ name: 'team', workers: { writer, reviewer }, router: forever, maxTurns: 2, onMaxTurns: 'finish' }));
    expect(supervisorTimeline(events, { rationale: false }).slice(-2)).toEqual(['t=15 team #3 → writer', 't=15 team ■ maxTurns turns=2 routingCalls=3']);
    expect(valueOf<SupervisorResult>(events)).toMatchObject({ reason: 'maxTurns', turns: 2, output: 'looks fine', routingCalls: 3 });
  });

  it('defaults to 10 turns', () => {
    const events = runSupervisor(supervisor({ name: 'team', workers: { writer, reviewer }, router: forever }));
    expect(endOf(events)).toMatchObject({ error: { code: 'MAX_TURNS' } });
    expect(events.filter((e) => e.type === 'supervisor.worker' && e.status === 'succeeded')).toHaveLength(10);
  });

  it('makes a router that names an unknown worker an UNKNOWN_WORKER error naming the worker and the supervisor', () => {
    const events = runSupervisor(supervisor({ name: 'data-team', workers: { writer }, router: staticRouter([(s) => (s.turn === 1 ? 'writer' : 'translator')]) }));
    expect(supervisorTimeline(events, { rationale: false }).slice(-1)).toEqual(['t=10 data-team #2 → translator']); // visible in the stream
    expect(endOf(events)).toMatchObject({
      type: 'node.failed',
      error: { code: 'UNKNOWN_WORKER', message: "supervisor 'data-team': its router chose 'translator' at turn 2, which is not one of its workers (writer) or FINISH" },
    });
  });

  it('makes a router without a decision, or with a malformed one, a ROUTER_FAILED error', () => {
    const silent = runSupervisor(supervisor({ name: 't', workers: { writer }, router: () => [] }));
    expect(endOf(silent)).toMatchObject({ error: { code: 'ROUTER_FAILED', message: "supervisor 't': its router completed without a decision at turn 1" } });
    const malformed = runSupervisor(supervisor({ name: 't', workers: { writer }, router: () => [{ go: 'writer' } as never] }));
    expect(endOf(malformed)).toMatchObject({ error: { code: 'ROUTER_FAILED' } });
    expect((endOf(malformed) as { error: { message: string } }).error.message).toContain('{"go":"writer"}');
  });

  it("keeps a failing router's retry information, so the node's retry policy still applies", () => {
    const overloaded = Object.assign(new Error('overloaded'), { status: 529, retryable: true, retryAfterMs: 2000 });
    let calls = 0;
    const router = () => (++calls === 1 ? failAfter(10, overloaded) : [{ next: 'FINISH' }]);
    const events = runSupervisor(supervisor({ name: 't', workers: { writer }, router }));
    expect(endOf(events)).toMatchObject({ type: 'node.failed', error: { code: 'ROUTER_FAILED', status: 529, retryable: true, retryAfterMs: 2000 } });

    calls = 0;
    const retried = runSupervisorWithRetry(router);
    expect(retried.find((e) => e.type === 'node.retrying')).toMatchObject({ delayMs: 2000, error: { code: 'ROUTER_FAILED' } });
    expect(endOf(retried)).toMatchObject({ type: 'node.succeeded', at: 2010 });
  });

  it('rejects bad options at once with INVALID_OPTIONS naming the option', () => {
    const router = staticRouter([]);
    const cases: [unknown, string][] = [
      [{ workers: {}, router }, 'workers'],
      [{ workers: { FINISH: writer }, router }, 'workers'],
      [{ workers: { 'a/b': writer }, router }, 'workers'],
      [{ workers: { writer: {} }, router }, 'workers'],
      [{ workers: { writer } }, 'router'],
      [{ workers: { writer }, router, maxTurns: 0 }, 'maxTurns'],
      [{ workers: { writer }, router, maxTurns: 1.5 }, 'maxTurns'],
      [{ workers: { writer }, router, onMaxTurns: 'stop' }, 'onMaxTurns'],
      [{ workers: { writer }, router, name: 'x/y' }, 'name'],
    ];
    for (const [options, option] of cases) {
      let caught: unknown;
      try {
        supervisor(options as never);
      } catch (error) {
        caught = error;
      }
      expect(isSupervisorError(caught), JSON.stringify(options)).toBe(true);
      expect(caught).toMatchObject({ code: 'INVALID_OPTIONS', option });
    }
    expect(new SupervisorError('MAX_TURNS', 'p/t', 'x')).toMatchObject({ supervisor: 'p/t', retryable: false, message: "supervisor 'p/t': x" });
  });
});

/** The supervisor as a node with one retry, whose backoff (100 ms) is shorter than the router's retry-after. */
function runSupervisorWithRetry(router: Router) {
  const run = supervisor({ name: 't', workers: { writer }, router });
  return testScheduler().run(() => record(execute(graph().node('standardize', { run, retry: { count: 1, initialDelay: 100, jitter: 0 } }).build())));
}
