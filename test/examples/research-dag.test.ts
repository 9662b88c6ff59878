import { describe, expect, it } from 'vitest';
import { VirtualTimeScheduler, tap } from 'rxjs';
import { BudgetExceededError, collect, estimateTokens, execute, isNodeEndEvent, seededRandom, textOf, type CompletionRequest, type RunEvent } from 'rx-orchestra';
import {
  BRIEF_MAX_TOKENS,
  CHILD_IDS,
  Plan,
  RESEARCH_NODE_IDS,
  RESEARCH_RETRY,
  buildResearchDag,
  type ResearchDagOptions,
  type ResearchNodeId,
  type ResearchOutputs,
} from '../../examples/research-dag-graph.js';

/** Runs the demo's graph in virtual time, recording events and the prompt of every simulated call. */
async function runVirtually(options: Omit<ResearchDagOptions, 'scheduler' | 'onRequest'> = {}) {
  const scheduler = new VirtualTimeScheduler();
  const events: RunEvent[] = [];
  const prompts = new Map<ResearchNodeId, string[]>();
  const onRequest = (nodeId: ResearchNodeId, request: CompletionRequest) => prompts.set(nodeId, [...(prompts.get(nodeId) ?? []), textOf(request.prompt)]);
  const g = buildResearchDag({ ...options, scheduler, onRequest });
  const result = collect<ResearchOutputs>(execute(g, { scheduler, random: seededRandom(0), budget: { maxUsd: 0.5 }, runId: 'research' }).pipe(tap((e) => events.push(e))));
  scheduler.flush();
  return { ...(await result), events, prompts };
}

const endOf = (events: RunEvent[], id: string) => events.find((e) => isNodeEndEvent(e) && e.nodeId === id);
const startOf = (events: RunEvent[], id: string) => events.find((e) => e.type === 'node.started' && e.nodeId === id);
const valueOf = (outcome: { status: string; value?: unknown } | undefined) => {
  if (outcome?.status !== 'succeeded') throw new Error(`expected a success, got ${outcome?.status}`);
  return outcome.value as string;
};

describe('examples/research-dag (seed 000)', () => {
  it('runs all 15 Claude calls to success, each after its dependencies, with a typed plan', async () => {
    const { summary, outcomes, events } = await runVirtually();
    expect(summary).toMatchObject({ status: 'succeeded', nodes: 15, attempts: 15, retries: 0, counts: { succeeded: 15 } });
    expect(Object.keys(outcomes).sort()).toEqual([...RESEARCH_NODE_IDS].sort());
    expect(summary.usage.total.calls).toBe(15);
    expect(summary.usage.total.costUsd).toBeGreaterThan(0);
    expect(Object.keys(summary.usage.byModel).sort()).toEqual(['claude-haiku-4-5', 'claude-sonnet-4-6']);
    expect(Plan.parse(outcomes.plan.status === 'succeeded' ? outcomes.plan.value : undefined)).toHaveProperty('papers');
    const started = events.find((e) => e.type === 'run.started');
    for (const node of started?.type === 'run.started' ? started.nodes : []) {
      for (const dep of node.deps) expect(startOf(events, node.id)!.at).toBeGreaterThanOrEqual(endOf(events, dep)!.at);
    }
    // the three branches run side by side: the searches start together, right after the plan
    const searches = ['search_web', 'search_papers', 'search_code'].map((id) => startOf(events, id)!.at);
    expect(new Set(searches)).toEqual(new Set([endOf(events, 'plan')!.at]));
  });

  it('builds prompts from typed upstream outputs: each search gets its query from the plan', async () => {
    const { outcomes, prompts } = await runVirtually();
    const plan = Plan.parse(outcomes.plan.status === 'succeeded' ? outcomes.plan.value : undefined);
    expect(prompts.get('search_web')![0]).toContain(plan.web);
    expect(prompts.get('search_papers')![0]).toContain(plan.papers);
    expect(prompts.get('search_code')![0]).toContain(plan.code);
  });

  it('hands fan-out children a brief of at most 200 tokens, never the full search result', async () => {
    const { outcomes, prompts } = await runVirtually();
    for (const child of CHILD_IDS) {
      const source = child.split('_')[0] as 'web' | 'papers' | 'code';
      const search = valueOf(outcomes[`search_${source}`]);
      const brief = valueOf(outcomes[`${source}_brief`]);
      expect(estimateTokens(search)).toBeGreaterThan(2 * BRIEF_MAX_TOKENS); // the cap has something to cut
      expect(estimateTokens(brief)).toBeLessThanOrEqual(BRIEF_MAX_TOKENS);
      const [prompt] = prompts.get(child)!;
      expect(prompt).toContain(brief);
      expect(prompt).not.toContain(search);
      // what the child sees beyond its own template is the brief: within 200 tokens of it
      const template = prompt!.replace(brief, '');
      expect(estimateTokens(prompt!) - estimateTokens(template)).toBeLessThanOrEqual(BRIEF_MAX_TOKENS);
    }
  });

  it('retries a branch that keeps answering 529 with backoff, then skips it while the rest completes', async () => {
    const { summary, outcomes, events, prompts } = await runVirtually({ faults: { search_papers: 'overloaded' } });
    expect(outcomes.search_papers).toMatchObject({ status: 'failed', attempts: RESEARCH_RETRY.count + 1, gaveUp: 'exhausted', error: { code: 'OVERLOADED', retryable: true } });
    const delays = events.filter((e) => e.type === 'node.retrying' && e.nodeId === 'search_papers').map((e) => (e.type === 'node.retrying' ? e.delayMs : NaN));
    expect(delays).toHaveLength(RESEARCH_RETRY.count);
    expect(delays[2]!).toBeGreaterThan(delays[0]!); // exponential: about 1 s, 2 s, 4 s with jitter
    expect(outcomes.papers_brief).toMatchObject({ status: 'skipped', cause: { kind: 'upstream', upstream: 'search_papers' } });
    expect(outcomes.papers_findings).toMatchObject({ status: 'skipped', cause: { kind: 'upstream', upstream: 'papers_brief' } });
    expect(outcomes.papers_gaps).toMatchObject({ status: 'skipped', cause: { kind: 'upstream', upstream: 'papers_brief' } });
    const others = RESEARCH_NODE_IDS.filter((id) => id !== 'search_papers' && !id.startsWith('papers_'));
    for (const id of others) expect(outcomes[id].status, id).toBe('succeeded');
    expect(summary).toMatchObject({ status: 'partial', counts: { succeeded: 11, failed: 1, skipped: 3 } });
    // synthesize ran with partial inputs and was told what is missing and why
    const [synthesis] = prompts.get('synthesize')!;
    expect(synthesis).toContain('## papers_findings\n(unavailable: skipped (upstream papers_brief))');
    expect(synthesis).toContain('## web_findings\nFindings (web)');
    expect(prompts.has('papers_brief')).toBe(false); // nothing was spent on the skipped branch
  });

  it('times out a stalled search at the 30 s call deadline on every attempt, then skips its branch', async () => {
    const { summary, outcomes } = await runVirtually({ faults: { search_code: 'stalled' } });
    const stalled = outcomes.search_code;
    expect(stalled).toMatchObject({ status: 'timedOut', timeoutMs: 30_000, attempts: 4, error: { code: 'TIMEOUT', retryable: true } });
    expect(stalled.status === 'timedOut' && stalled.durationMs).toBeGreaterThanOrEqual(4 * 30_000);
    for (const id of ['code_brief', 'code_findings', 'code_gaps'] as const) expect(outcomes[id].status).toBe('skipped');
    expect(outcomes.report.status).toBe('succeeded');
    expect(summary).toMatchObject({ status: 'partial', counts: { succeeded: 11, timedOut: 1, skipped: 3 } });
  });

  it('estimates the cost before the run and carries the estimate on run.started', async () => {
    const { events } = await runVirtually();
    const started = events[0];
    expect(started?.type).toBe('run.started');
    const estimate = started?.type === 'run.started' ? started.costEstimate : undefined;
    expect(estimate).toMatchObject({ maxUsd: 0.5, unestimated: [] });
    expect(Object.keys(estimate!.byNode).sort()).toEqual([...RESEARCH_NODE_IDS].sort());
    expect(estimate!.totalUsd).toBeGreaterThan(0.01);
    expect(estimate!.totalUsd).toBeLessThan(0.5);
  });

  it('refuses a run over budget before any call, naming the costliest nodes', () => {
    const called: string[] = [];
    const g = buildResearchDag({ scheduler: new VirtualTimeScheduler(), onRequest: (id) => called.push(id) });
    let refusal: unknown;
    try {
      execute(g, { budget: { maxUsd: 0.001 } });
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(BudgetExceededError);
    const { topNodes, estimateUsd, maxUsd, message } = refusal as BudgetExceededError;
    expect(maxUsd).toBe(0.001);
    expect(estimateUsd).toBeGreaterThan(0.001);
    // the two Sonnet writers with the largest output bounds cost the most
    expect(topNodes.map((n) => n.nodeId).slice(0, 2).sort()).toEqual(['report', 'synthesize']);
    expect(topNodes[0]!.usd).toBeGreaterThanOrEqual(topNodes[1]!.usd);
    expect(message).toMatch(/^estimated \$0\.07 exceeds the budget of \$0\.001; most expensive: synthesize .*, report .*, search_/);
    expect(called).toEqual([]);
  });
});
