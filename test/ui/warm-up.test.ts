/**
 * The page's warm-up snapshot stays what a `RunTracker` makes of a small run, and valid: were it to
 * drift from the schema, the warm-up would only exercise the error path.
 */
import { describe, expect, it } from 'vitest';
import type { RunEvent } from 'rx-orchestra';
import { RunEventSchema } from '../../src/run/events.js';
import { RunTracker } from '../../src/run/run-tracker.js';
import { WARM_UP_SNAPSHOT, warmUp } from '../../src/ui/page/warm-up.js';

const runId = 'warm-up';
const EVENTS: RunEvent[] = [
  { type: 'run.started', runId, at: 0, concurrency: 2, nodes: [{ id: 'a', deps: [], meta: { agent: 'x' } }, { id: 'b', deps: ['a'] }] },
  { type: 'node.queued', runId, nodeId: 'a', at: 0, priority: 1 },
  { type: 'node.started', runId, nodeId: 'a', at: 0, attempt: 1 },
  { type: 'node.token', runId, nodeId: 'a', at: 1, attempt: 1, text: 'hi' },
  { type: 'node.usage', runId, nodeId: 'a', at: 2, attempt: 1, model: 'm', usage: { inputTokens: 1, outputTokens: 1 }, costUsd: 0.001 },
  { type: 'node.succeeded', runId, nodeId: 'a', at: 2, attempts: 1, startedAt: 0, durationMs: 2, value: 'v' },
  { type: 'node.started', runId, nodeId: 'b', at: 3, attempt: 1 },
];

describe('the page warm-up', () => {
  it('is a valid snapshot, the one a tracker makes of a two-node run', () => {
    const tracker = new RunTracker();
    for (const event of EVENTS) tracker.apply(event);
    expect(RunEventSchema.parse(WARM_UP_SNAPSHOT)).toEqual(RunEventSchema.parse({ ...tracker.snapshot(), cutValues: [] }));
    expect(warmUp()).toBe(true);
  });
});
