/** The supervisor loop turn by turn, in virtual time: route, run the worker, append its message, repeat until FINISH. */
import { describe, expect, it } from 'vitest';
import {
  FINISH,
  llmRouter,
  sequenceRouter,
  staticRouter,
  supervisor,
  hasAnswered,
  supervisorTimeline,
  type SupervisorResult,
} from 'rx-orchestra/patterns';
import { simulatedModel, type CompletionRequest } from 'rx-orchestra';
import { runSupervisor, valueOf, work, testScheduler, workerContext, type Report } from './helpers.js';

const FIXED = { medianMs: 100, p95Ms: 100 };

/** Seed 004's three workers as timed stand-ins. */
const workers = {
  recommender: { run: () => work(40, 'PT_ID: standard abbreviation; domain candidate: patient info') },
  post_processor: { run: () => work(30, '| PT_ID | patient info |') },
  auditor: { run: () => work(50, 'domain priority verified') },
};

describe('supervisor: the routing loop', () => {
  it('routes turn by turn with a static router until FINISH (seed 004 scenario, 0 ms routing)', () => {
    const events = runSupervisor(supervisor({ workers, router: sequenceRouter(['recommender', 'post_processor', 'auditor']) }));
    expect(supervisorTimeline(events)).toEqual([
      't=0 standardize #1 → recommender (rule 0)',
      't=0 standardize #1 ▶ recommender',
      't=40 standardize #1 ✓ recommender 40ms',
      't=40 standardize #2 → post_processor (rule 1)',
      't=40 standardize #2 ▶ post_processor',
      't=70 standardize #2 ✓ post_processor 30ms',
      't=70 standardize #3 → auditor (rule 2)',
      't=70 standardize #3 ▶ auditor',
      't=120 standardize #3 ✓ auditor 50ms',
      't=120 standardize #4 → FINISH (no rule applied)',
      't=120 standardize ■ FINISH turns=3 routingCalls=4',
    ]);
    const result = valueOf<SupervisorResult>(events);
    expect(result).toMatchObject({ supervisor: 'standardize', reason: 'FINISH', turns: 3, routingCalls: 4, output: 'domain priority verified' });
    // each result went back into the conversation as a message named after its worker
    expect(result.messages.map((m) => [m.role, m.name, m.turn])).toEqual([
      ['user', undefined, undefined],
      ['worker', 'recommender', 1],
      ['worker', 'post_processor', 2],
      ['worker', 'auditor', 3],
    ]);
    expect(result.messages[0]!.content).toBe('standardize the patient id column');
    expect(result.trace.map((t) => [t.turn, t.next, t.routingMs, t.worker?.durationMs])).toEqual([
      [1, 'recommender', 0, 40],
      [2, 'post_processor', 0, 30],
      [3, 'auditor', 0, 50],
      [4, 'FINISH', 0, undefined],
    ]);
  });

  it('FINISH on the first turn ends the loop without running a worker', () => {
    const events = runSupervisor(supervisor({ name: 'data-team', workers, router: staticRouter([]) }));
    expect(supervisorTimeline(events)).toEqual(['t=0 data-team #1 → FINISH (no rule applied)', 't=0 data-team ■ FINISH turns=0 routingCalls=1']);
    expect(valueOf<SupervisorResult>(events)).toMatchObject({ reason: 'FINISH', turns: 0, output: undefined, routingCalls: 1 });
  });

  it('lets rules read the conversation, as the seed\'s if/else did (auditor only for full-format tables)', () => {
    const isFullFormat = (text: string | undefined) => text?.startsWith('|') ?? false;
    const router = staticRouter([
      (s) => !hasAnswered(s, 'recommender') && 'recommender',
      (s) => !hasAnswered(s, 'post_processor') && 'post_processor',
      (s) => isFullFormat(s.messages.at(-1)?.content) && !hasAnswered(s, 'auditor') && { next: 'auditor', rationale: 'full-format table' },
    ]);
    const events = runSupervisor(supervisor({ workers, router }));
    expect(valueOf<SupervisorResult>(events).trace.map((t) => `${t.next}: ${t.rationale}`)).toEqual([
      'recommender: rule 0',
      'post_processor: rule 1',
      'auditor: full-format table',
      'FINISH: no rule applied',
    ]);
  });

  it('routes with an LLM on the simulated provider: structured decisions, one usage report per routing call', () => {
    const requests: CompletionRequest[] = [];
    const decisions = [
      { next: 'recommender', rationale: 'needs standard abbreviations' },
      { next: 'post_processor', rationale: 'table must be sorted' },
      { next: 'auditor', rationale: 'verify domain priority' },
      { next: 'FINISH', rationale: 'answer complete' },
    ];
    const events = runSupervisor(() => {
      const model = simulatedModel({ latency: FIXED, model: 'claude-haiku-4-5', respond: (request, call) => (requests.push(request), JSON.stringify(decisions[call])) });
      return supervisor({ workers, router: llmRouter({ system: 'You are a data standardization supervisor.', rationale: true, provider: model }) });
    });
    expect(supervisorTimeline(events)).toEqual([
      't=100 standardize #1 → recommender (needs standard abbreviations)',
      't=100 standardize #1 ▶ recommender',
      't=140 standardize #1 ✓ recommender 40ms',
      't=240 standardize #2 → post_processor (table must be sorted)',
      't=240 standardize #2 ▶ post_processor',
      't=270 standardize #2 ✓ post_processor 30ms',
      't=370 standardize #3 → auditor (verify domain priority)',
      't=370 standardize #3 ▶ auditor',
      't=420 standardize #3 ✓ auditor 50ms',
      't=520 standardize #4 → FINISH (answer complete)',
      't=520 standardize ■ FINISH turns=3 routingCalls=4',
    ]);
    expect(events.filter((e) => e.type === 'node.usage')).toHaveLength(4); // one priced call per decision
    expect(events.filter((e) => e.type === 'node.token')).toHaveLength(0); // routing JSON is not the node's text
    // the request: an enum of the worker names plus FINISH (never free text), at temperature 0
    expect(requests[0]).toMatchObject({ system: 'You are a data standardization supervisor.', temperature: 0 });
    expect(requests[0]!.jsonSchema).toMatchObject({
      properties: { next: { enum: ['recommender', 'post_processor', 'auditor', 'FINISH'] }, rationale: { type: 'string' } },
      required: ['next', 'rationale'],
    });
    // the router reads the conversation, each result named after its worker
    expect(requests[3]!.prompt).toContain('<message from="user">\nstandardize the patient id column\n</message>');
    expect(requests[3]!.prompt).toContain('<message from="post_processor">\n| PT_ID | patient info |\n</message>');
    expect(requests[3]!.prompt).toContain('Turn 4. Who acts next? Choose exactly one of: recommender, post_processor, auditor, FINISH.');
  });

  it('sends an off-schema LLM decision back for repair (never free text), counting one routing call', () => {
    const replies = ['I think the recommender should go first.', '{"next":"recommender"}', '{"next":"FINISH"}'];
    const events = runSupervisor(() => {
      const model = simulatedModel({ latency: FIXED, model: 'claude-haiku-4-5', respond: (_request, call) => replies[call]! });
      return supervisor({ workers, router: llmRouter({ system: 'route', provider: model }) });
    });
    expect(supervisorTimeline(events)).toEqual([
      't=200 standardize #1 → recommender', // the free-text answer (t=100) was repaired (t=200)
      't=200 standardize #1 ▶ recommender',
      't=240 standardize #1 ✓ recommender 40ms',
      't=340 standardize #2 → FINISH',
      't=340 standardize ■ FINISH turns=1 routingCalls=2',
    ]);
    expect(events.filter((e) => e.type === 'node.usage')).toHaveLength(3);
  });

  it('is a cold Observable when called directly as a team: each subscription is a fresh conversation', () => {
    testScheduler().run(({ expectObservable }) => {
      const reports: Report[] = [];
      const team = supervisor({ name: 'ignored-as-team', workers, router: sequenceRouter(['recommender', 'auditor']) });
      const result$ = team('standardize PT_ID', workerContext(reports, { supervisor: 'platform', worker: 'data-team' }));
      expectObservable(result$).toBe('90ms (r|)', {
        r: expect.objectContaining({ supervisor: 'platform/data-team', reason: FINISH, turns: 2, output: 'domain priority verified' }),
      });
      // subscribed 10 ms later: the same loop again, from scratch (the first subscription is unaffected)
      expectObservable(result$, '10ms ^').toBe('100ms (r|)', { r: expect.objectContaining({ turns: 2, messages: expect.toSatisfy((m: unknown[]) => m.length === 3) }) });
    });
  });

  it('keeps the node open for a long loop: no 30 s node deadline by default', () => {
    const slow = { run: () => work(20_000, 'slow') };
    const events = runSupervisor(supervisor({ workers: { slow }, router: staticRouter([(s) => s.turn <= 3 && 'slow']) }));
    expect(valueOf<SupervisorResult>(events)).toMatchObject({ turns: 3, reason: 'FINISH' });
    expect(events.at(-1)).toMatchObject({ type: 'run.completed', summary: { makespanMs: 60_000 } });
  });
});
