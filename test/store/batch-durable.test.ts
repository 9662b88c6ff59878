/**
 * Durable batches in virtual time, real SQLite: `executeDurable` writes each batch into the run's
 * store the moment it is created, with the run's model or without one (the default model, offline).
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { executeDurable, sqliteStore, storeBatchJournal } from 'rx-orchestra/store';
import { graph, llm, simulatedModel, type RunEvent } from 'rx-orchestra';
import { testScheduler } from '../run/virtual-run.js';
import { tempDir } from './stores.js';

const build = () =>
  graph()
    .node('a', { run: llm({ prompt: () => 'first', batch: true }) })
    .node('b', { run: llm({ prompt: () => 'second', batch: true }) })
    .node('c', { deps: ['a', 'b'], run: llm({ prompt: ({ a, b }) => `${String(a)} ${String(b)}` }) })
    .build();

describe('executeDurable with batched nodes', () => {
  it.each([
    { name: 'a simulated model of the run', model: () => simulatedModel({ model: 'claude-sonnet-4-6', batch: { processingMs: 60_000 } }) },
    { name: 'no model (the default, offline)', model: () => undefined },
  ])('writes each batch into the SQLite file as it is created: $name', ({ model }) => {
    if (!model() && process.env.ANTHROPIC_API_KEY) return; // the default model is then Claude, whose batches need anthropicBatches()
    const dir = tempDir();
    const store = sqliteStore(join(dir.path, 'runs.db'));
    try {
      testScheduler().run(({ flush }) => {
        const events: RunEvent[] = [];
        const provider = model();
        const runId = `batched-${provider ? 'model' : 'default'}`;
        const journal = storeBatchJournal(store, runId);
        let writtenAtSubmit = -1;
        executeDurable(store, build(), { runId, ...(provider ? { model: provider } : {}) }).subscribe((event) => {
          events.push(event);
          if (event.type === ('batch.submitted' as string) && writtenAtSubmit < 0) writtenAtSubmit = (journal.load() as unknown[]).length;
        });
        flush();
        expect(writtenAtSubmit).toBe(2); // a and b, written before anyone polls
        expect((journal.load() as readonly { key: string }[]).map((entry) => entry.key.split(':')[0])).toEqual(['a', 'b']);
        expect(events.filter((e) => e.type === ('batch.submitted' as string)).map((e) => (e as { nodeId: string }).nodeId)).toEqual(['a', 'b']); // c is direct
        expect(events.at(-1)).toMatchObject({ type: 'run.completed', summary: { status: 'succeeded' } });
      });
    } finally {
      store.close();
      dir.remove();
    }
  });
});
