import { describe, expect, it } from 'vitest';
import { of, timer, map } from 'rxjs';
import { graph, run } from 'rx-orchestra';

describe('smoke', () => {
  it('runs a diamond with real timers', async () => {
    const g = graph()
      .node('a', { run: () => of(1) })
      .node('b', { deps: ['a'], run: ({ inputs }) => Promise.resolve(inputs.a + 1) })
      .node('c', { deps: ['a'], run: ({ inputs }) => timer(5).pipe(map(() => String(inputs.a))) })
      .node('d', { deps: ['b', 'c'], run: ({ inputs }) => [inputs.b * 10, `${inputs.c}!`] as const })
      .build();
    const result = await run(g);
    expect(result.summary.status).toBe('succeeded');
    expect(result.outcomes.d).toMatchObject({ status: 'succeeded', value: '1!' });
  });
});
