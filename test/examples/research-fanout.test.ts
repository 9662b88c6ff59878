import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { VirtualTimeScheduler } from 'rxjs';
import { estimateTokens, execute, isNodeEndEvent, seededRandom, textOf, type CompletionRequest, type Decision, type EventOf, type NodeOutcome, type RunEvent } from 'rx-orchestra';
import {
  CANNED_SUB_QUESTIONS,
  FANOUT_CONTEXT_MAX_TOKENS,
  Plan,
  RESEARCH_RETRY,
  buildResearchFanout,
  type PublishRequest,
  type ResearchFanoutOptions,
} from '../../examples/lib/research-fanout-graph.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CONCURRENCY = 4;

/**
 * Runs the example's graph in virtual time; `decision` answers `publish`'s approval the moment it
 * waits, `decideAfter` ms later.
 */
function runVirtually(options: Omit<ResearchFanoutOptions, 'scheduler' | 'onRequest'> = {}, decision: Decision = { approve: true, by: 'test' }, decideAfter = 0) {
  const scheduler = new VirtualTimeScheduler();
  const events: RunEvent[] = [];
  const prompts: Record<'plan' | 'research' | 'write', string[]> = { plan: [], research: [], write: [] };
  const onRequest = (node: 'plan' | 'research' | 'write', request: CompletionRequest) => prompts[node].push(textOf(request.prompt));
  const g = buildResearchFanout({ ...options, scheduler, onRequest });
  const run$ = execute(g, { concurrency: CONCURRENCY, scheduler, random: seededRandom(0), budget: { maxUsd: 0.5 }, runId: 'fanout' });
  run$.subscribe((event) => {
    events.push(event);
    if (event.type === 'node.waiting') scheduler.schedule(() => run$.decide(event.nodeId, decision), decideAfter);
  });
  scheduler.flush();
  const ends = new Map(events.filter(isNodeEndEvent).map((e) => [e.nodeId, e] as const));
  const completed = events.at(-1) as EventOf<'run.completed'>;
  return { events, prompts, ends, completed };
}

const first = <T extends RunEvent['type']>(events: RunEvent[], type: T, nodeId?: string) =>
  events.find((e) => e.type === type && (nodeId === undefined || ('nodeId' in e && e.nodeId === nodeId))) as EventOf<T> | undefined;

describe('examples/research-fanout (seed 000, the fan-out known at run time)', () => {
  it('fans out to one researcher per sub-question the planner listed, under the run cap, then writes and publishes after approval', () => {
    const { events, ends, completed, prompts } = runVirtually();
    const planEnd = ends.get('plan');
    if (planEnd?.type !== 'node.succeeded') throw new Error(`plan ${planEnd?.type}`);
    const plan = Plan.parse(planEnd.value);
    expect(plan.subQuestions).toHaveLength(8);
    // The children come from the plan's value: one per sub-question, keyed by its id, added after the plan ended.
    const expanded = first(events, 'node.expanded', 'research')!;
    expect(expanded.nodes.map((n) => n.id)).toEqual(plan.subQuestions.map((q) => `research/${q.id}`));
    expect(events.indexOf(expanded)).toBeGreaterThan(events.indexOf(planEnd));
    // Children and ordinary nodes share the cap of 4; the 8 researchers run 4 at a time, work-conserving.
    const running = new Set<string>();
    let peak = 0;
    for (const e of events) {
      if (e.type === 'node.started' && e.attempt === 1) running.add(e.nodeId);
      else if (isNodeEndEvent(e)) running.delete(e.nodeId);
      peak = Math.max(peak, running.size);
    }
    expect(peak).toBe(CONCURRENCY);
    const starts = events.filter((e): e is EventOf<'node.started'> => e.type === 'node.started' && e.nodeId.startsWith('research/'));
    expect(starts.slice(0, 4).every((s) => s.at === planEnd.at)).toBe(true);
    expect(starts[4]!.at).toBeGreaterThan(planEnd.at);
    // The fan-out's value: every researcher's outcome, in the plan's order; the writer starts after the last.
    const research = ends.get('research');
    if (research?.type !== 'node.succeeded') throw new Error(`research ${research?.type}`);
    expect((research.value as NodeOutcome<string>[]).map((o) => o.status)).toEqual(Array(8).fill('succeeded'));
    expect(first(events, 'node.started', 'write')!.at).toBe(research.at);
    // The writer's prompt has every researcher's findings.
    for (const q of plan.subQuestions) expect(prompts.write[0]).toContain(`Findings (${q.id})`);
    // publish waited with the request, was approved, and read the decision.
    const waiting = first(events, 'node.waiting', 'publish')!;
    expect(waiting.payload).toMatchObject({ title: 'Keeping multi-agent LLM pipelines fast and affordable', missing: [] } satisfies Partial<PublishRequest>);
    expect(waiting.at).toBe(ends.get('write')!.at);
    expect(first(events, 'node.decided', 'publish')).toMatchObject({ approve: true, by: 'test' });
    expect(ends.get('publish')).toMatchObject({ type: 'node.succeeded', value: { approvedBy: 'test', title: 'Keeping multi-agent LLM pipelines fast and affordable' } });
    expect(completed.summary).toMatchObject({ status: 'succeeded', nodes: 4 + 8, counts: { succeeded: 12 } });
    expect(completed.summary.usage.total.calls).toBe(1 + 8 + 1);
  });

  it('hands each researcher only its sub-question: under 200 tokens, no other sub-question in it', () => {
    const { prompts } = runVirtually({ subQuestions: 12 });
    expect(prompts.research).toHaveLength(12);
    for (const q of CANNED_SUB_QUESTIONS) {
      const prompt = prompts.research.find((p) => p.includes(`(${q.id})`))!;
      expect(prompt).toContain(q.question);
      expect(estimateTokens(prompt)).toBeLessThanOrEqual(FANOUT_CONTEXT_MAX_TOKENS);
      for (const other of CANNED_SUB_QUESTIONS) if (other.id !== q.id) expect(prompt).not.toContain(other.question);
    }
  });

  it('the list decides the width: 12 sub-questions make 12 researchers, 1 makes 1', () => {
    for (const n of [1, 12]) {
      const { events, completed } = runVirtually({ subQuestions: n });
      expect(first(events, 'node.expanded', 'research')!.nodes).toHaveLength(n);
      expect(completed.summary).toMatchObject({ status: 'succeeded', nodes: 4 + n });
    }
  });

  it('a researcher that keeps answering 529 is retried, then fails alone: the writer says what is missing, the rest is published', () => {
    const { events, ends, completed, prompts } = runVirtually({ failing: ['web-retry-storms'] });
    expect(ends.get('research/web-retry-storms')).toMatchObject({ type: 'node.failed', attempts: RESEARCH_RETRY.count + 1, error: { code: 'OVERLOADED' } });
    expect(events.filter((e) => e.type === 'node.retrying' && e.nodeId === 'research/web-retry-storms')).toHaveLength(RESEARCH_RETRY.count);
    const research = ends.get('research');
    if (research?.type !== 'node.succeeded') throw new Error(`research ${research?.type}`);
    expect((research.value as NodeOutcome<string>[]).filter((o) => o.status === 'failed')).toHaveLength(1);
    const storms = CANNED_SUB_QUESTIONS.find((q) => q.id === 'web-retry-storms')!;
    expect(prompts.write[0]).toContain(`## ${storms.question}\n(no findings: failed (OVERLOADED))`);
    expect(first(events, 'node.waiting', 'publish')!.payload).toMatchObject({ missing: ['web-retry-storms'] });
    expect(ends.get('publish')?.type).toBe('node.succeeded');
    // One child failed: the run is partial, with 12 nodes of which 11 have a value.
    expect(completed.summary).toMatchObject({ status: 'partial', nodes: 12, counts: { succeeded: 11, failed: 1 } });
  });

  it('publish holds no slot while it waits; rejected, it fails with APPROVAL_REJECTED and nothing is published', () => {
    const { events, ends, completed } = runVirtually({}, { approve: false, reason: 'not yet', by: 'editor' }, 60_000);
    const waiting = first(events, 'node.waiting', 'publish')!;
    const decided = first(events, 'node.decided', 'publish')!;
    expect(decided.at - waiting.at).toBe(60_000);
    expect(first(events, 'node.started', 'publish')).toBeUndefined();
    expect(ends.get('publish')).toMatchObject({ type: 'node.failed', error: { code: 'APPROVAL_REJECTED', message: "node 'publish' was rejected by editor: not yet" } });
    expect(completed.summary).toMatchObject({ status: 'partial', counts: { succeeded: 11, failed: 1 } });
    expect(completed.at).toBe(decided.at);
  });

  it('runs offline as a script; without a terminal it approves by itself (by: example) and says so', async () => {
    const env = { ...process.env };
    delete env.ANTHROPIC_API_KEY;
    const run = (args: string[]) => promisify(execFile)(process.execPath, ['--import', 'tsx', 'examples/research-fanout.ts', ...args], { cwd: ROOT, env, timeout: 60_000 });
    const [{ stdout }, rejected] = await Promise.all([run(['--sub-questions', '5']), run(['--sub-questions', '2', '--decision', 'reject'])]);
    expect(stdout).toContain('⋔ research fans out into 5 researchers: research/web-rate-limits, research/papers-parallel-latency, research/code-dag-executors, research/web-retry-storms, research/papers-context-compression');
    expect(stdout).toContain("(no terminal: deciding automatically: approve, by: 'example')");
    expect(stdout).toContain('✔ publish approved by example');
    expect(stdout).toContain('9 nodes (5 added at run time), 7 model calls');
    expect(stdout).toMatch(/Published "Keeping multi-agent LLM pipelines fast and affordable" \(\d+ words\), approved by example\./);
    expect(rejected.stdout).toContain('✔ publish rejected by example: --decision reject');
    expect(rejected.stdout).toContain('Not published: failed (APPROVAL_REJECTED).');
  }, 60_000);
});
