/** State isolation (the seed's firewall) and structured handoffs validated at the worker boundary. */
import { describe, expect, it } from 'vitest';
import { of } from 'rxjs';
import { z } from 'zod';
import { lastMessage, sequenceRouter, staticRouter, supervisor, supervisorTimeline, worker, hasAnswered, type SupervisorResult, type WorkerContext } from 'rx-orchestra/patterns';
import { endOf, failAfter, runSupervisor, valueOf, work } from './helpers.js';

const Recommendation = z.object({ physicalName: z.string(), domains: z.array(z.string()), confidence: z.number().min(0).max(1) });
type Recommendation = z.infer<typeof Recommendation>;

describe('supervisor: state isolation', () => {
  it('gives a worker only what its input transform returns (by default: the last message content), never the parent state', () => {
    const seen: { input: unknown; ctx: WorkerContext }[] = [];
    const spy = (reply: string) => ({ run: (input: unknown, ctx: WorkerContext) => (seen.push({ input, ctx }), of(reply)) });
    const workers = {
      recommender: spy('PT_ID'),
      auditor: { ...spy('ok'), input: (s: { messages: readonly { content: string }[] }) => ({ table: s.messages.at(-1)!.content }) },
    };
    const events = runSupervisor(supervisor({ workers, router: sequenceRouter(['recommender', 'auditor']) }), 'patient id column?');
    expect(valueOf<SupervisorResult>(events).output).toBe('ok');
    expect(seen.map((s) => s.input)).toEqual(['patient id column?', { table: 'PT_ID' }]);
    // the context carries facilities and where the worker runs, not the conversation
    expect(Object.keys(seen[0]!.ctx).sort()).toEqual(['attempt', 'context', 'emit', 'model', 'nodeId', 'random', 'runId', 'scheduler', 'signal', 'supervisor', 'turn', 'worker']);
    expect(seen[1]!.ctx).toMatchObject({ supervisor: 'standardize', worker: 'auditor', turn: 2 });
  });

  it('does not let a worker touch the parent conversation: its state is a copy', () => {
    const vandal = { input: (s: { messages: readonly unknown[] }) => s.messages, run: (messages: unknown[]) => (messages.length = 0, ['wiped?']) };
    const events = runSupervisor(supervisor({ workers: { vandal }, router: sequenceRouter(['vandal']) }), 'keep me');
    expect(valueOf<SupervisorResult>(events).messages.map((m) => m.content)).toEqual(['keep me', 'wiped?']);
  });

  it('hands the parent only what the output transform returns: a string as content, an object as a payload', () => {
    const recommender = worker({
      run: () => work(20, { physicalName: 'PT_ID', domains: ['patient'], confidence: 0.9, internalDocs: ['doc-1', 'doc-2'] }),
      output: ({ physicalName, domains, confidence }) => ({ physicalName, domains, confidence }), // internal fields stay inside
    });
    const summarizer = worker({ run: () => of({ lines: 3 }), output: (r) => `${r.lines} lines` });
    const events = runSupervisor(supervisor({ workers: { recommender, summarizer }, router: sequenceRouter(['recommender', 'summarizer']) }));
    const [, rec, sum] = valueOf<SupervisorResult>(events).messages;
    expect(rec).toEqual({ role: 'worker', name: 'recommender', turn: 1, content: '{"physicalName":"PT_ID","domains":["patient"],"confidence":0.9}', payload: { physicalName: 'PT_ID', domains: ['patient'], confidence: 0.9 } });
    expect(sum).toEqual({ role: 'worker', name: 'summarizer', turn: 2, content: '3 lines' });
  });
});

describe('supervisor: structured handoffs', () => {
  const postProcessor = worker({
    input: (state) => lastMessage(state, 'recommender')?.payload as Recommendation,
    inputSchema: Recommendation,
    run: (rec) => work(10, `| ${rec.physicalName} | ${rec.domains.join(', ')} |`),
  });

  it('passes a valid structured payload from one worker to the next', () => {
    const recommender = worker({ run: () => work(20, { physicalName: 'PT_ID', domains: ['patient'], confidence: 0.92 }), outputSchema: Recommendation });
    const events = runSupervisor(supervisor({ workers: { recommender, post_processor: postProcessor }, router: sequenceRouter(['recommender', 'post_processor']) }));
    expect(valueOf<SupervisorResult>(events).output).toBe('| PT_ID | patient |');
  });

  it('fails an invalid output at the boundary with INVALID_HANDOFF naming the worker and the field', () => {
    const recommender = worker({ run: () => work(20, { physicalName: 'PT_ID', domains: ['patient'], confidence: 'high' as unknown as number }), outputSchema: Recommendation });
    const events = runSupervisor(supervisor({ name: 'data-team', workers: { recommender, post_processor: postProcessor }, router: sequenceRouter(['recommender', 'post_processor']) }));
    expect(supervisorTimeline(events, { rationale: false })).toEqual([
      't=0 data-team #1 → recommender',
      't=0 data-team #1 ▶ recommender',
      't=20 data-team #1 ✗ recommender 20ms INVALID_HANDOFF',
    ]);
    expect(endOf(events)).toMatchObject({
      type: 'node.failed',
      error: {
        code: 'INVALID_HANDOFF',
        retryable: false,
        message: "supervisor 'data-team': worker 'recommender' returned an invalid output at 'confidence': confidence: Invalid input: expected number, received string",
      },
    });
  });

  it('fails an invalid input before the worker runs', () => {
    let ran = false;
    const strict = worker({ input: () => ({ physicalName: 'PT_ID' }) as Recommendation, inputSchema: Recommendation, run: () => ((ran = true), ['x']) });
    const events = runSupervisor(supervisor({ name: 'data-team', workers: { strict }, router: sequenceRouter(['strict']) }));
    expect(ran).toBe(false);
    expect(endOf(events)).toMatchObject({ error: { code: 'INVALID_HANDOFF', message: expect.stringContaining("worker 'strict' was handed an invalid input at 'domains'") } });
  });

  it('wraps a failing worker as WORKER_FAILED, or reports it to the router with onWorkerError: report', () => {
    const flaky = { run: () => failAfter(15, new Error('retrieval index offline')) };
    const backup = { run: () => work(25, 'answer from the keyword index') };
    const failFast = runSupervisor(supervisor({ name: 'data-team', workers: { flaky, backup }, router: sequenceRouter(['flaky', 'backup']) }));
    expect(endOf(failFast)).toMatchObject({ error: { code: 'WORKER_FAILED', message: "supervisor 'data-team': worker 'flaky' failed: retrieval index offline" } });

    // the router sees the failure as the worker's message and routes around it
    const router = staticRouter([
      (s) => !hasAnswered(s, 'flaky') && 'flaky',
      (s) => lastMessage(s, 'flaky')?.error !== undefined && !hasAnswered(s, 'backup') && { next: 'backup', rationale: 'flaky failed' },
    ]);
    const events = runSupervisor(supervisor({ name: 'data-team', workers: { flaky, backup }, router, onWorkerError: 'report' }));
    expect(supervisorTimeline(events)).toEqual([
      't=0 data-team #1 → flaky (rule 0)',
      't=0 data-team #1 ▶ flaky',
      't=15 data-team #1 ✗ flaky 15ms WORKER_FAILED',
      't=15 data-team #2 → backup (flaky failed)',
      't=15 data-team #2 ▶ backup',
      't=40 data-team #2 ✓ backup 25ms',
      't=40 data-team #3 → FINISH (no rule applied)',
      't=40 data-team ■ FINISH turns=2 routingCalls=3',
    ]);
    const result = valueOf<SupervisorResult>(events);
    expect(result.messages[1]).toMatchObject({ name: 'flaky', content: "error: supervisor 'data-team': worker 'flaky' failed: retrieval index offline", error: { code: 'WORKER_FAILED' } });
    expect(result.trace[0]!.worker).toMatchObject({ status: 'failed', durationMs: 15 });
  });
});
