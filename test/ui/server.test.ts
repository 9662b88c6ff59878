/** The dashboard's HTTP side, without a browser: what it serves, to whom, and in which order. */
import { EventEmitter } from 'node:events';
import { request } from 'node:http';
import type { ServerResponse } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Observable, Subject, VirtualAction, VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { RunEventSchema, execute, isOptionsError, shareRun, type RunEvent } from 'rx-orchestra';
import { RunLogError } from 'rx-orchestra/observe';
import { startDashboard, type DashboardOptions } from 'rx-orchestra/ui';
import { eventJson } from '../../src/ui/event-json.js';
import { RunHub } from '../../src/ui/run-hub.js';
import { PIPELINE_NODES, researchPipeline } from './pipeline.js';

const runId = 'r';
const started: RunEvent = { type: 'run.started', runId, at: 0, concurrency: 2, nodes: [{ id: 'a', deps: [] }, { id: 'b', deps: ['a'] }] };
const start = (nodeId: string, at: number): RunEvent => ({ type: 'node.started', runId, nodeId, at, attempt: 1 });
const succeed = (nodeId: string, at: number, value: unknown = 'ok'): RunEvent => ({ type: 'node.succeeded', runId, nodeId, at, attempts: 1, startedAt: at - 1, durationMs: 1, value });

/** A streaming response, read as far as needed. */
async function openStream(url: string): Promise<{ until: (done: (text: string) => boolean) => Promise<string>; cancel: () => Promise<void> }> {
  const res = await fetch(url);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  return {
    async until(done) {
      while (!done(text)) {
        const chunk = await reader.read();
        if (chunk.done) break;
        text += decoder.decode(chunk.value, { stream: true });
      }
      return text;
    },
    cancel: () => reader.cancel(),
  };
}

const ndjsonEvents = (text: string) => text.split('\n').filter(Boolean).map((line) => RunEventSchema.parse(JSON.parse(line)));
const sseBatches = (text: string) =>
  [...text.matchAll(/event: batch\ndata: (.*)\n\n/g)].map((m) => JSON.parse(m[1]!) as { t: number; events: unknown[] });

describe('the dashboard server', () => {
  it('serves the page, its two bundled scripts and d3-dag on 127.0.0.1, and nothing else', async () => {
    const dashboard = await startDashboard({ events$: new Subject<RunEvent>() });
    try {
      expect(dashboard.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const page = await fetch(dashboard.url);
      expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
      const html = await page.text();
      expect(html).toContain('<script type="module" src="/app/ui/page/main.js"></script>');
      expect(html).not.toContain('<script>'); // no inline script: the CSP allows none
      for (const path of ['app/ui/page/main.js', 'app/ui/page/layout-worker.js', 'vendor/d3-dag.js']) {
        const res = await fetch(dashboard.url + path);
        expect(res.status, path).toBe(200);
        expect(res.headers.get('content-type'), path).toBe('text/javascript; charset=utf-8');
      }
      for (const path of ['app/ui/dashboard.js', 'app/ui/page/../dashboard.js', 'app/ui/page/model.js', 'app/run/events.js', 'vendor/zod/index.js', 'vendor/zod/package.json', 'vendor/zod/%2e%2e/%2e%2e/package.json', 'app/observe/run-log-file.js', 'etc/passwd']) {
        expect((await fetch(dashboard.url + path)).status, path).toBe(404);
      }
      expect((await fetch(dashboard.url, { method: 'POST' })).status).toBe(405);
    } finally {
      await dashboard.close();
    }
  });

  it('answers only to its own host name (no DNS rebinding)', async () => {
    const dashboard = await startDashboard({ events$: new Subject<RunEvent>() });
    try {
      const { port } = new URL(dashboard.url);
      const status = (host: string) =>
        new Promise<number>((resolve, reject) => {
          request({ host: '127.0.0.1', port, path: '/', headers: { host } }, (res) => {
            res.resume();
            resolve(res.statusCode!);
          })
            .on('error', reject)
            .end();
        });
      expect(await status(`127.0.0.1:${port}`)).toBe(200);
      expect(await status(`localhost:${port}`)).toBe(200);
      expect(await status(`evil.example:${port}`)).toBe(421);
    } finally {
      await dashboard.close();
    }
  });

  it('gives a watcher that connects mid-run a run.snapshot first, then the live events', async () => {
    const events$ = new Subject<RunEvent>();
    const dashboard = await startDashboard({ events$ });
    try {
      events$.next(started);
      events$.next(start('a', 1));
      events$.next(succeed('a', 2));
      const watcher = await openStream(`${dashboard.url}events.ndjson`);
      await watcher.until((text) => text.includes('\n')); // the snapshot line
      events$.next(start('b', 3));
      const text = await watcher.until((t) => t.split('\n').length > 2);
      await watcher.cancel();
      const [snapshot, ...live] = ndjsonEvents(text);
      expect(snapshot).toMatchObject({ type: 'run.snapshot', runId, states: { a: { state: 'succeeded' }, b: { state: 'pending' } } });
      expect(live.map((e) => e.type)).toEqual(['node.started']);
    } finally {
      await dashboard.close();
    }
  });

  it('keeps snapshots small: long values come as previews (listed in cutValues), served whole on GET /value', async () => {
    const events$ = new Subject<RunEvent>();
    const dashboard = await startDashboard({ events$ });
    const long = { text: 'x'.repeat(1_000) };
    try {
      events$.next(started);
      events$.next(start('a', 1));
      events$.next(succeed('a', 2, long));
      const watcher = await openStream(`${dashboard.url}events.ndjson`);
      const [snapshot] = ndjsonEvents(await watcher.until((text) => text.includes('\n')));
      await watcher.cancel();
      expect(snapshot).toMatchObject({ type: 'run.snapshot', cutValues: ['a'] });
      const value = (snapshot as Extract<RunEvent, { type: 'run.snapshot' }>).ended[0] as { value: unknown };
      expect(value.value).toMatch(/^\{"text":"x+… \(1011 chars\)$/);
      expect((value.value as string).length).toBeLessThan(300);
      const whole = await fetch(`${dashboard.url}value?node=a`);
      expect(whole.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await whole.json()).toEqual({ nodeId: 'a', value: long });
      expect((await fetch(`${dashboard.url}value?node=b`)).status).toBe(404); // not ended
      expect((await fetch(`${dashboard.url}value?node=nope`)).status).toBe(404);
    } finally {
      await dashboard.close();
    }
  });

  it('starts from the snapshot a shared run hands a late subscriber', async () => {
    const shared = shareRun(execute(researchPipeline(), { concurrency: 4 }));
    shared.connect();
    await new Promise((resolve) => setTimeout(resolve, 150)); // the run is under way
    const dashboard = await startDashboard({ events$: shared.events$ });
    try {
      const { summary } = await shared.result;
      const text = await (await openStream(`${dashboard.url}events.ndjson`)).until(() => false); // ends with the run
      const [snapshot, ...rest] = ndjsonEvents(text);
      expect(rest).toEqual([]);
      if (snapshot?.type !== 'run.snapshot') throw new Error('expected a snapshot');
      expect(Object.keys(snapshot.states).sort()).toEqual([...PIPELINE_NODES].sort());
      expect(Object.values(snapshot.states).every((s) => s.state === 'succeeded')).toBe(true);
      expect(snapshot.summary).toEqual(summary);
      expect(snapshot.ended).toHaveLength(PIPELINE_NODES.length);
      const tokens = Object.values(snapshot.states).reduce((sum, s) => sum + (s.tokens ?? 0), 0);
      expect(tokens).toBe(summary.usage.total.inputTokens + summary.usage.total.outputTokens);
    } finally {
      await dashboard.close();
    }
  });

  it('sends events in batches (one SSE message per window), stamped with the send time', async () => {
    const events$ = new Subject<RunEvent>();
    const dashboard = await startDashboard({ events$, batchMs: 30 });
    try {
      const watcher = await openStream(`${dashboard.url}events`);
      await watcher.until((text) => text.includes('retry: 1000')); // connected
      events$.next(started);
      for (let i = 0; i < 500; i++) events$.next({ type: 'node.token', runId, nodeId: 'a', at: 1, attempt: 1, text: `t${i} ` });
      events$.complete();
      const text = await watcher.until((t) => t.includes('event: end'));
      expect(text.startsWith('retry: 1000\n\n')).toBe(true);
      const batches = sseBatches(text);
      expect(batches).toHaveLength(1);
      expect(batches[0]!.events).toHaveLength(501);
      expect(Math.abs(batches[0]!.t - Date.now())).toBeLessThan(5_000);
      expect(text.endsWith('event: end\ndata: {}\n\n')).toBe(true);
    } finally {
      await dashboard.close();
    }
  });

  it('tells the page when the stream failed', async () => {
    const events$ = new Subject<RunEvent>();
    const dashboard = await startDashboard({ events$ });
    try {
      const watcher = await openStream(`${dashboard.url}events`);
      await watcher.until((text) => text.includes('retry: 1000'));
      events$.error(new Error('the run was cancelled'));
      const text = await watcher.until((t) => t.includes('event: end'));
      expect(text).toContain('event: end\ndata: {"error":"Error: the run was cancelled"}');
    } finally {
      await dashboard.close();
    }
  });

  it('closes every open connection on close()', async () => {
    const dashboard = await startDashboard({ events$: new Subject<RunEvent>() });
    const res = await fetch(`${dashboard.url}events`);
    const reader = res.body!.getReader();
    await reader.read();
    await dashboard.close();
    await expect((async () => {
      for (;;) if ((await reader.read()).done) return 'ended';
    })()).resolves.toBe('ended');
  });
});

describe('the run hub', () => {
  /** A response that buffers whatever it is given, as a stuck browser would. */
  const stuckResponse = () => {
    const res = Object.assign(new EventEmitter(), {
      writableLength: 0,
      destroyed: false,
      writeHead: () => res,
      flushHeaders: () => undefined,
      cork: () => undefined,
      uncork: () => undefined,
      write: (chunk: string) => ((res.writableLength += chunk.length), true),
      end: () => undefined,
      destroy: () => ((res.destroyed = true), res.emit('close')),
    });
    return res;
  };

  it('cuts off a watcher that cannot keep up instead of buffering for it', () => {
    const scheduler = new VirtualTimeScheduler(VirtualAction, Infinity);
    const events$ = new Subject<RunEvent>();
    const hub = new RunHub(events$, { scheduler, batchMs: 10, maxBufferedBytes: 4_096, maxValueChars: 100, startOnConnect: false });
    const res = stuckResponse();
    hub.add(res as unknown as ServerResponse, 'sse');
    events$.next(started);
    for (let i = 0; i < 100; i++) events$.next({ type: 'node.token', runId, nodeId: 'a', at: i, attempt: 1, text: 'x'.repeat(100) });
    expect(res.destroyed).toBe(false); // nothing sent before the batch window closes
    scheduler.flush();
    expect(res.destroyed).toBe(true);
    expect(hub.watchers).toBe(0);
    hub.close();
  });

  it('starts a replay only when the first watcher connects', () => {
    const scheduler = new VirtualTimeScheduler(VirtualAction, Infinity);
    let subscribed = 0;
    const events$ = new Subject<RunEvent>();
    const source = new Observable<RunEvent>((subscriber) => {
      subscribed += 1;
      return events$.subscribe(subscriber);
    });
    const hub = new RunHub(source, { scheduler, batchMs: 10, maxBufferedBytes: 1 << 20, maxValueChars: 100, startOnConnect: true });
    expect(subscribed).toBe(0);
    hub.add(stuckResponse() as unknown as ServerResponse, 'ndjson');
    hub.add(stuckResponse() as unknown as ServerResponse, 'ndjson');
    expect(subscribed).toBe(1);
    hub.close();
  });
});

describe('events as served', () => {
  it('cut long values to a preview, keep short ones, and stay valid', () => {
    const long = succeed('a', 2, { text: 'x'.repeat(5_000) });
    const served = RunEventSchema.parse(JSON.parse(eventJson(long, 100)));
    expect(served).toMatchObject({ type: 'node.succeeded', value: expect.stringMatching(/^\{"text":"x+… \(5011 chars\)$/) });
    expect((served as { value: string }).value.startsWith(JSON.stringify({ text: 'x'.repeat(5_000) }).slice(0, 100))).toBe(true);
    expect(JSON.parse(eventJson(succeed('a', 2, { n: 1 }), 100))).toMatchObject({ value: { n: 1 } });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(JSON.parse(eventJson(succeed('a', 2, cyclic), 100))).toMatchObject({ value: '[a value JSON cannot express]' });
  });

  it('carry an infinite number as the largest finite one, so the schema still accepts them', () => {
    const summary = { status: 'succeeded', nodes: 0, counts: { succeeded: 0, failed: 0, timedOut: 0, skipped: 0, fellBack: 0 }, makespanMs: 0, attempts: 0, retries: 0, retryBudget: { calls: 0, retries: 0, denied: 0, limit: Infinity } } as const;
    const completed = { type: 'run.completed', runId, at: 1, summary: { ...summary, usage: { total: { calls: 0, inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0, costUsd: 0 }, byNode: {}, byModel: {} } } } as RunEvent;
    const served = RunEventSchema.parse(JSON.parse(eventJson(completed, 100)));
    expect(served).toMatchObject({ summary: { retryBudget: { limit: Number.MAX_VALUE } } });
  });
});

describe('dashboard options', () => {
  const field = async (options: DashboardOptions) => {
    try {
      const dashboard = await startDashboard(options);
      await dashboard.close();
      return 'no error';
    } catch (error) {
      return isOptionsError(error, 'dashboard') ? error.field : String(error);
    }
  };

  it('refuse what cannot work, naming the field', async () => {
    const events$ = new Subject<RunEvent>();
    expect(await field({})).toBe('events$');
    expect(await field({ events$, replay: { path: 'x.jsonl' } })).toBe('events$');
    expect(await field({ replay: { path: '' } })).toBe('replay.path');
    expect(await field({ events$, port: 70_000 })).toBe('port');
    expect(await field({ events$, batchMs: 0 })).toBe('batchMs');
    expect(await field({ events$, maxBufferedBytes: -1 })).toBe('maxBufferedBytes');
  });

  it('refuse a replay log with a bad line before serving anything, naming the line', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'rxo-ui-')), 'bad.jsonl');
    writeFileSync(path, `${JSON.stringify({ timestamp: 0, event: started })}\n{"timestamp":1,"event":{"type":"node.started"}}\n`);
    await expect(startDashboard({ replay: { path, speed: 10 } })).rejects.toThrow(RunLogError);
    await expect(startDashboard({ replay: { path, speed: 10 } })).rejects.toMatchObject({ line: 2 });
    expect(await field({ replay: { path, speed: 0 } })).toMatch(/RunLogError/); // the log is read first
  });
});
