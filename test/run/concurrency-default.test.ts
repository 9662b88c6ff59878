import { describe, expect, it } from 'vitest';
import { NEVER } from 'rxjs';
import { execute, graphFromNodes } from 'rx-orchestra';
import { DEFAULT_CONCURRENCY } from '../../src/run/execute.js';
import { record, testScheduler } from './virtual-run.js';

describe('default concurrency', () => {
  it('is 64 (the README says so): 64 of 70 ready nodes start at once, and run.started reports 64', () => {
    expect(DEFAULT_CONCURRENCY).toBe(64);
    const g = graphFromNodes(Array.from({ length: 70 }, (_, i) => ({ id: `n${i}`, run: () => NEVER, timeout: 10 })));
    const events = testScheduler().run(() => record(execute(g)));
    expect(events[0]).toMatchObject({ type: 'run.started', concurrency: 64 });
    expect(events.filter((e) => e.type === 'node.started' && e.at === 0)).toHaveLength(64);
    expect(events.filter((e) => e.type === 'node.started' && e.at === 10)).toHaveLength(6);
  });
});
