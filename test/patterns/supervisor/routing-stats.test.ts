/** Seed 004's metrics from the event stream: routing calls per request, worker choices, per-agent x per-turn timing. */
import { describe, expect, it } from 'vitest';
import { llmRouter, routingStats, sequenceRouter, supervisor } from 'rx-orchestra/patterns';
import { simulatedModel } from 'rx-orchestra';
import { runSupervisor, work } from './helpers.js';

const workers = {
  recommender: { run: () => work(40, 'PT_ID') },
  post_processor: { run: () => work(30, '| PT_ID |') },
  auditor: { run: () => work(50, 'ok') },
};

describe('routingStats', () => {
  it('answers seed 004: routing calls per request, most chosen worker, slowest agent, per-turn timing', () => {
    const script = ['recommender', 'post_processor', 'auditor', 'recommender', 'FINISH'];
    const events = runSupervisor(() => {
      const model = simulatedModel({ latency: { medianMs: 100, p95Ms: 100 }, model: 'claude-haiku-4-5', respond: (_r, call) => JSON.stringify({ next: script[call] }) });
      return supervisor({ name: 'data-team', workers, router: llmRouter({ system: 'route', provider: model }) });
    });
    const stats = routingStats(events);
    expect(stats.bySupervisor).toEqual({
      'data-team': {
        requests: 1,
        routingCalls: 5,
        routingCallsPerRequest: 5,
        choices: { recommender: 2, post_processor: 1, auditor: 1, FINISH: 1 },
        endings: { FINISH: 1, maxTurns: 0, failed: 0, unfinished: 0 },
      },
    });
    // the seed's [timing] lines: agent x turn, routing included
    expect(stats.timings.map((t) => `${t.supervisor} #${t.turn} ${t.agent} ${t.ms}ms`)).toEqual([
      'data-team #1 supervisor 100ms',
      'data-team #1 recommender 40ms',
      'data-team #2 supervisor 100ms',
      'data-team #2 post_processor 30ms',
      'data-team #3 supervisor 100ms',
      'data-team #3 auditor 50ms',
      'data-team #4 supervisor 100ms',
      'data-team #4 recommender 40ms',
      'data-team #5 supervisor 100ms',
    ]);
    expect(stats.agents.map((a) => [a.agent, a.kind, a.calls, a.meanMs, a.maxMs])).toEqual([
      ['supervisor', 'routing', 5, 100, 100],
      ['recommender', 'worker', 2, 40, 40],
      ['post_processor', 'worker', 1, 30, 30],
      ['auditor', 'worker', 1, 50, 50],
    ]);
  });

  it('keeps teams apart by path, times a team\'s first routing from its start, and counts every request a team handled', () => {
    const team = supervisor({ name: 'team', workers: { a: { run: () => work(10, 'a') } }, router: (state) => work(7, { next: state.turn === 1 ? 'a' : 'FINISH' }) });
    const events = runSupervisor(supervisor({ name: 'platform', workers: { team: { run: team } }, router: (state) => work(3, { next: state.turn <= 2 ? 'team' : 'FINISH' }) }));
    const { bySupervisor, timings } = routingStats(events);
    expect(bySupervisor['platform']).toMatchObject({ requests: 1, routingCalls: 3, routingCallsPerRequest: 3 });
    expect(bySupervisor['platform/team']).toMatchObject({ requests: 2, routingCalls: 4, routingCallsPerRequest: 2, endings: { FINISH: 2, maxTurns: 0, unfinished: 0 } });
    expect(timings.map((t) => `t=${t.at} ${t.supervisor} #${t.turn} ${t.agent} ${t.ms}ms`)).toEqual([
      't=3 platform #1 supervisor 3ms',
      't=10 platform/team #1 supervisor 7ms',
      't=20 platform/team #1 a 10ms',
      't=27 platform/team #2 supervisor 7ms',
      't=27 platform #1 team 24ms',
      't=30 platform #2 supervisor 3ms',
      't=37 platform/team #1 supervisor 7ms',
      't=47 platform/team #1 a 10ms',
      't=54 platform/team #2 supervisor 7ms',
      't=54 platform #2 team 24ms',
      't=57 platform #3 supervisor 3ms',
    ]);
  });

  it('counts loops that never finished', () => {
    const events = runSupervisor(supervisor({ name: 'x', workers, router: sequenceRouter(['nobody']) }));
    expect(routingStats(events).bySupervisor['x']!.endings).toEqual({ FINISH: 0, maxTurns: 0, failed: 0, unfinished: 1 });
  });
});
