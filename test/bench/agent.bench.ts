/**
 * `agent_step_overhead_us`: what rx-orchestra costs per agent step. One step = one model call and
 * one tool call, with instant fakes (the model answers synchronously, the tool returns at once), so
 * all that is measured is the orchestration: the agent loop, the governed model (the default: quota,
 * adaptive concurrency, breaker), the tool runner (input validated by zod, limits, events), the
 * executor and its events (every event delivered to a subscriber), cost accounting.
 *
 * Next to it, the same loop written by hand against a bare fake model of the same answers (no
 * rx-orchestra: an async function that calls the model, validates the tool input with the same zod
 * schema, runs the tool and appends the turns), so the difference is the orchestration cost.
 *
 * 100 runs of one agent node doing 11 steps (10 tool calls, then the answer), after a warm-up: the
 * time from one `agent.step` event to the next is one step (its tool call and the next model call),
 * 1,000 samples; the bare loop is timed at the same points. Real (async) scheduler, wall clock.
 *
 * `npx tsx test/bench/agent.bench.ts` (or `npm run bench -- agentStepOverhead`) runs it alone.
 */
import { pathToFileURL } from 'node:url';
import { Observable, lastValueFrom, of, tap } from 'rxjs';
import { z } from 'zod';
import { agent, execute, graph, tool, type Completion, type CompletionRequest, type ContentBlock, type Model, type ModelEvent } from '../../src/index.js';
import { report, type Figure } from './report.js';

/** Tool steps per run (then one answer step). */
const TOOL_STEPS = 10;
const RUNS = 100;
const WARMUP_RUNS = 30;
const MODEL = 'claude-sonnet-4-6';

const LookupInput = z.object({ key: z.string(), limit: z.number().int().min(1).max(100).optional() });
const lookup = (input: z.output<typeof LookupInput>) => `value of ${input.key}`;

/** The answer the fake gives at `step` (1-based): a tool call, or the final text after TOOL_STEPS. */
function answerAt(step: number): { text: string; toolUse?: { id: string; name: string; input: Record<string, unknown> } } {
  return step <= TOOL_STEPS ? { text: 'Looking it up.', toolUse: { id: `toolu_${step}`, name: 'lookup', input: { key: `k${step}`, limit: 5 } } } : { text: 'The answer is 42.' };
}

/** An instant fake Model for rx-orchestra: streams the answer synchronously on subscription. */
const instantModel: Model = {
  model: MODEL,
  stream: (request: CompletionRequest) =>
    new Observable<ModelEvent>((subscriber) => {
      const step = 1 + (request.history ?? []).filter((turn) => turn.role === 'assistant').length;
      const { text, toolUse } = answerAt(step);
      subscriber.next({ type: 'text', text });
      const content: ContentBlock[] = [{ type: 'text', text }];
      if (toolUse) {
        const block = { type: 'tool_use' as const, ...toolUse };
        subscriber.next(block);
        content.push(block);
      }
      const completion: Completion = { text, content, usage: { inputTokens: 200 + step * 40, outputTokens: 20 }, latencyMs: 0, model: MODEL, stopReason: toolUse ? 'tool_use' : 'end_turn' };
      subscriber.next({ type: 'completion', completion });
      subscriber.complete();
    }),
  complete: () => {
    throw new Error('unused');
  },
};

const lookupTool = tool({ name: 'lookup', description: 'Looks a key up', input: LookupInput, run: (input) => of(lookup(input)) });
const agentGraph = graph()
  .node('agent', { run: agent({ system: 'You look things up.', prompt: () => 'What is the value of k?', tools: [lookupTool], maxSteps: TOOL_STEPS + 1 }) })
  .build();

/** One rx-orchestra run: the step durations (ms) between consecutive `agent.step` events, and the events seen. */
async function orchestrated(): Promise<{ steps: number[]; events: number }> {
  const stamps: number[] = [];
  let events = 0;
  await lastValueFrom(
    execute(agentGraph, { model: instantModel }).pipe(
      tap((event) => {
        events += 1;
        if (event.type === 'agent.step') stamps.push(performance.now());
      }),
    ),
  );
  if (stamps.length !== TOOL_STEPS + 1) throw new Error(`agent bench: ${stamps.length} steps instead of ${TOOL_STEPS + 1}`);
  return { steps: stamps.slice(1).map((t, i) => t - stamps[i]!), events };
}

type BareBlock = { type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> };

/** The bare fake model: the same answers, as an SDK would give them (a Promise of the message). */
const bareModel = {
  create: async (params: { messages: { role: string; content: unknown }[] }): Promise<{ content: BareBlock[]; stop_reason: string; usage: { input_tokens: number; output_tokens: number } }> => {
    const step = 1 + params.messages.filter((m) => m.role === 'assistant').length;
    const { text, toolUse } = answerAt(step);
    return {
      content: toolUse ? [{ type: 'text', text }, { type: 'tool_use', ...toolUse }] : [{ type: 'text', text }],
      stop_reason: toolUse ? 'tool_use' : 'end_turn',
      usage: { input_tokens: 200 + step * 40, output_tokens: 20 },
    };
  },
};

/** The same loop by hand: call, validate the tool input, run the tool, append the turns; timed at the same points. */
async function bare(): Promise<number[]> {
  const messages: { role: string; content: unknown }[] = [{ role: 'user', content: 'What is the value of k?' }];
  const stamps: number[] = [];
  for (;;) {
    const reply = await bareModel.create({ messages });
    stamps.push(performance.now());
    messages.push({ role: 'assistant', content: reply.content });
    if (reply.stop_reason !== 'tool_use') break;
    const results = await Promise.all(
      reply.content
        .filter((block): block is Extract<BareBlock, { type: 'tool_use' }> => block.type === 'tool_use')
        .map(async (use) => {
          const parsed = LookupInput.safeParse(use.input);
          return parsed.success
            ? { type: 'tool_result', tool_use_id: use.id, content: lookup(parsed.data) }
            : { type: 'tool_result', tool_use_id: use.id, content: parsed.error.message, is_error: true };
        }),
    );
    messages.push({ role: 'user', content: results });
  }
  return stamps.slice(1).map((t, i) => t - stamps[i]!);
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};
const p95 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length * 0.95)]!;
const us = (ms: number) => Math.round(ms * 1000 * 10) / 10;

/** `agent_step_overhead_us` and the bare loop's figure next to it; see the module comment. */
export async function agentStepOverhead(): Promise<Figure[]> {
  for (let i = 0; i < WARMUP_RUNS; i++) {
    await orchestrated();
    await bare();
  }
  const steps: number[] = [];
  const bareSteps: number[] = [];
  let events = 0;
  for (let i = 0; i < RUNS; i++) {
    const run = await orchestrated();
    steps.push(...run.steps);
    events = run.events;
    bareSteps.push(...(await bare()));
  }
  const rxo = median(steps);
  const hand = median(bareSteps);
  return [
    {
      name: 'agent_step_overhead_us',
      value: us(rxo),
      unit: 'us',
      note: `median of ${steps.length} steps (model call + one tool call, instant fakes, ${events} events per ${TOOL_STEPS + 1}-step run delivered), p95 ${us(p95(steps))} us; orchestration adds ${us(rxo - hand)} us per step over the bare loop`,
    },
    { name: 'agent_step_bare_loop_us', value: us(hand), unit: 'us', note: `the same loop by hand against a bare fake model (await, zod, push), median of ${bareSteps.length} steps, p95 ${us(p95(bareSteps))} us` },
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) report(await agentStepOverhead());
