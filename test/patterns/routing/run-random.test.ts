import { expect, it } from 'vitest';
import { lastValueFrom, toArray } from 'rxjs';
import { execute, graph, seededRandom } from 'rx-orchestra';
import { banditRouter, supervisor, worker } from 'rx-orchestra/patterns';
it('draws from the run random', async () => {
  const arms = async (seed: number) => {
    const router = banditRouter({ name: 'x', arms: ['a', 'b', 'c'] });
    const team = supervisor({ name: 't', workers: { a: worker({ run: () => ['a'] }), b: worker({ run: () => ['b'] }), c: worker({ run: () => ['c'] }) }, router });
    const out: string[] = [];
    const random = seededRandom(seed);
    for (let i = 0; i < 15; i++) {
      const ev = await lastValueFrom(execute(graph().node('q', { run: () => ['x'] }).node('t', { deps: ['q'], run: team }).build(), { random }).pipe(toArray()));
      out.push(...ev.filter((e) => (e.type as string) === 'router.chose').map((e) => (e as unknown as { arm: string }).arm));
    }
    return out;
  };
  expect(await arms(3)).toEqual(await arms(3));
  expect(await arms(3)).not.toEqual(await arms(4));
});
