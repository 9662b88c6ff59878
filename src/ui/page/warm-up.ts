/**
 * Warms the page's hot paths up while it waits for its first batch: zod builds its validators the
 * first time an object schema parses (compiling them with `new Function`), and V8 optimizes the
 * reducer only once it runs. A page that joins a large run otherwise pays for both on its snapshot:
 * in Node, validating a 10,000-node snapshot took 146-261 ms cold and ~40 ms warm, and one parse of
 * this two-node snapshot first took it to 125-146 ms. The page runs this once the stream is on its
 * way, so it costs nothing a user waits for (~20 ms, while the server builds and sends the snapshot).
 */
import { RunEventSchema } from '../../run/events.js';
import { DashboardModel } from './model.js';

/** A two-node run as a `RunTracker` snapshots it: one node ended with a value, one running; exported for the test that keeps it valid. */
export const WARM_UP_SNAPSHOT = {
  type: 'run.snapshot',
  runId: 'warm-up',
  at: 3,
  nodes: [
    { id: 'a', deps: [], meta: { agent: 'x' } },
    { id: 'b', deps: ['a'] },
  ],
  ended: [{ type: 'node.succeeded', runId: 'warm-up', nodeId: 'a', at: 2, attempts: 1, startedAt: 0, durationMs: 2, value: 'v' }],
  totals: { calls: 2, retries: 0, cacheHits: 0, savedUsd: 0, inputTokens: 1, outputTokens: 1, tokens: 2, costUsd: 0.001 },
  tallies: {
    agents: [
      { agent: 'x', calls: 1, succeeded: 1, failures: 0, retries: 0, fellBack: 0, durations: [2], durationCount: 1, inputTokens: 1, outputTokens: 1, costUsd: 0.001 },
      { agent: 'b', calls: 1, succeeded: 0, failures: 0, retries: 0, fellBack: 0, durations: [], durationCount: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 },
    ],
    tools: [],
    routing: { requests: 0, calls: 0 },
    routedAround: [],
  },
  bounds: { maxHistoryPerNode: 256, maxTextPerNode: 16_000, maxTextTotal: 2_000_000 },
  concurrency: 2,
  cutValues: [],
  states: {
    a: {
      state: 'succeeded',
      attempts: 1,
      startedAt: 0,
      endedAt: 2,
      tokens: 2,
      inputTokens: 1,
      outputTokens: 1,
      costUsd: 0.001,
      streamedChars: 2,
      text: 'hi',
      history: [{ type: 'node.started', runId: 'warm-up', nodeId: 'a', at: 0, attempt: 1 }],
    },
    b: { state: 'running', attempts: 1, startedAt: 3, history: [{ type: 'node.started', runId: 'warm-up', nodeId: 'b', at: 3, attempt: 1 }] },
  },
};

/**
 * Validates {@link WARM_UP_SNAPSHOT} and applies it to a model thrown away after; true when it was
 * valid (a test keeps it so, or the warm-up would only warm the error path).
 *
 * ```ts
 * warmUp(); // once, after opening the stream
 * ```
 */
export function warmUp(): boolean {
  const parsed = RunEventSchema.safeParse(WARM_UP_SNAPSHOT);
  if (!parsed.success) return false;
  new DashboardModel().apply(parsed.data);
  return true;
}
