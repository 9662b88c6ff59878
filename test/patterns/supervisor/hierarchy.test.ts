/** Hierarchical supervisors (seed 004 §9): a platform supervisor routes to team supervisors, which route to their workers. */
import { describe, expect, it } from 'vitest';
import { of } from 'rxjs';
import { sequenceRouter, staticRouter, supervisor, supervisorTimeline, hasAnswered, type SupervisorResult } from 'rx-orchestra/patterns';
import { endOf, runSupervisor, valueOf, work } from './helpers.js';

/** The data team: retrieval, then the auditor. */
const dataTeam = () =>
  supervisor({
    name: 'data-team',
    workers: {
      retrieval: { run: (q: string) => work(20, `PT_ID for "${q}"`) },
      auditor: { run: (draft: string) => work(30, `${draft}, audited`) },
    },
    router: sequenceRouter(['retrieval', 'auditor']),
  });

/** The governance team: one policy check. */
const governanceTeam = () =>
  supervisor({
    name: 'governance-team',
    workers: { policy: { run: () => work(10, 'no PII policy violation') } },
    router: sequenceRouter(['policy']),
  });

describe('supervisor: hierarchies', () => {
  it('runs team supervisors as workers, with the supervisor path in every event', () => {
    const events = runSupervisor(() =>
      supervisor({
        name: 'platform',
        workers: { 'data-team': { run: dataTeam() }, 'governance-team': { run: governanceTeam() } },
        router: sequenceRouter(['data-team', 'governance-team']),
      }),
    'patient id',
    );
    expect(supervisorTimeline(events, { rationale: false })).toEqual([
      't=0 platform #1 → data-team',
      't=0 platform #1 ▶ data-team',
      't=0 platform/data-team #1 → retrieval',
      't=0 platform/data-team #1 ▶ retrieval',
      't=20 platform/data-team #1 ✓ retrieval 20ms',
      't=20 platform/data-team #2 → auditor',
      't=20 platform/data-team #2 ▶ auditor',
      't=50 platform/data-team #2 ✓ auditor 30ms',
      't=50 platform/data-team #3 → FINISH',
      't=50 platform/data-team ■ FINISH turns=2 routingCalls=3',
      't=50 platform #1 ✓ data-team 50ms',
      't=50 platform #2 → governance-team',
      't=50 platform #2 ▶ governance-team',
      't=50 platform/governance-team #1 → policy',
      't=50 platform/governance-team #1 ▶ policy',
      't=60 platform/governance-team #1 ✓ policy 10ms',
      't=60 platform/governance-team #2 → FINISH',
      't=60 platform/governance-team ■ FINISH turns=1 routingCalls=2',
      't=60 platform #2 ✓ governance-team 10ms',
      't=60 platform #3 → FINISH',
      't=60 platform ■ FINISH turns=2 routingCalls=3',
    ]);
    // every event belongs to the platform's node; the path says which team and which worker
    expect(new Set(events.filter((e) => e.type.startsWith('supervisor.')).map((e) => ('nodeId' in e ? e.nodeId : '')))).toEqual(new Set(['standardize']));
    // the platform sees each team's answer, not its internals
    const platform = valueOf<SupervisorResult>(events);
    expect(platform.messages.map((m) => `${m.name ?? m.role}: ${m.content}`)).toEqual([
      'user: patient id',
      'data-team: PT_ID for "patient id", audited',
      'governance-team: no PII policy violation',
    ]);
    expect(platform.messages.every((m) => m.payload === undefined)).toBe(true);
  });

  it('nests to any depth (platform → data-team → tables-team → worker)', () => {
    const tables = supervisor({ name: 'tables', workers: { sorter: { run: (t: string) => of(`sorted(${t})`) } }, router: sequenceRouter(['sorter']) });
    const data = supervisor({ name: 'data', workers: { 'tables-team': { run: tables } }, router: sequenceRouter(['tables-team']) });
    const events = runSupervisor(supervisor({ name: 'platform', workers: { 'data-team': { run: data } }, router: sequenceRouter(['data-team']) }), 't1');
    const paths = [...new Set(events.flatMap((e) => (e.type === 'supervisor.worker' ? [`${e.supervisor} ▶ ${e.worker}`] : [])))];
    expect(paths).toEqual(['platform ▶ data-team', 'platform/data-team ▶ tables-team', 'platform/data-team/tables-team ▶ sorter']);
    expect(valueOf<SupervisorResult>(events).output).toBe('sorted(t1)');
  });

  it('fails the platform with the team\'s own typed error (MAX_TURNS of platform/data-team)', () => {
    const looping = supervisor({ name: 'data-team', workers: { retrieval: { run: () => work(5, 'again') } }, router: staticRouter([() => 'retrieval']), maxTurns: 2 });
    const events = runSupervisor(supervisor({ name: 'platform', workers: { 'data-team': { run: looping } }, router: sequenceRouter(['data-team']) }));
    expect(supervisorTimeline(events, { rationale: false }).slice(-2)).toEqual(['t=10 platform/data-team #3 → retrieval', 't=10 platform #1 ✗ data-team 10ms MAX_TURNS']);
    expect(endOf(events)).toMatchObject({ type: 'node.failed', error: { code: 'MAX_TURNS', message: expect.stringMatching(/^supervisor 'platform\/data-team': /) } });
  });

  it('lets the platform route around a failing team when it reports failures', () => {
    const broken = supervisor({ name: 'data-team', workers: { retrieval: { run: () => work(5, 'x') } }, router: staticRouter([() => 'nobody']) });
    const platform = supervisor({
      name: 'platform',
      workers: { 'data-team': { run: broken }, 'governance-team': { run: governanceTeam() } },
      router: staticRouter([(s) => !hasAnswered(s, 'data-team') && 'data-team', (s) => !hasAnswered(s, 'governance-team') && 'governance-team']),
      onWorkerError: 'report',
    });
    const events = runSupervisor(platform);
    expect(supervisorTimeline(events, { rationale: false })).toContain('t=0 platform #1 ✗ data-team 0ms UNKNOWN_WORKER');
    expect(valueOf<SupervisorResult>(events)).toMatchObject({ reason: 'FINISH', output: 'no PII policy violation' });
  });
});
