/**
 * The API key never leaves the Anthropic adapter, even when an error body echoes the request's
 * `x-api-key` / `Authorization` header (as some proxies do): the real SDK over real HTTP against
 * the fake Messages API in its header-echo mode, then a count of the key's occurrences in
 * everything a user can see: events, errors (message, stack, cause, details), pino logs, run log
 * files, the dashboard's event stream and the CLI's output.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { inspect, types } from 'node:util';
import Anthropic, { APIError, BadRequestError } from '@anthropic-ai/sdk';
import { lastValueFrom } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { anthropicModel, execute, graph, isModelCallError, llm, shareRun, type RunEvent } from 'rx-orchestra';
import { logRunEvents, writeRunLog } from 'rx-orchestra/observe';
import { startDashboard } from 'rx-orchestra/ui';
import { startFakeAnthropic, type FakeAnthropic } from 'rx-orchestra/testing';
import { runCli } from '../cli/helpers.js';
import { scrubSecrets } from '../../src/models/anthropic/scrub-secrets.js';

const SECRET = 'sk-ant-api03-ECHOED-KEY-0123456789abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJ';
const TOKEN = 'oauth-token-ECHOED-9876543210zyxwvutsrqponmlkjihgfedcba';

let fake: FakeAnthropic;
beforeEach(async () => {
  fake = await startFakeAnthropic();
});
afterEach(() => fake.close());

/** How often `secret` occurs in `text`. */
const occurrences = (text: string, secret = SECRET) => text.split(secret).length - 1;

/** Every string reachable from a value: own properties (enumerable or not), causes, stacks, Headers, arrays. */
function everyString(value: unknown, seen = new Set<object>()): string[] {
  if (typeof value === 'string') return [value];
  if (typeof value !== 'object' || value === null || seen.has(value)) return [];
  seen.add(value);
  if (value instanceof Headers) {
    const strings: string[] = [];
    value.forEach((v, name) => strings.push(name, v));
    return strings;
  }
  const keys = new Set(Object.getOwnPropertyNames(value));
  if (value instanceof Error) for (const key of ['message', 'stack', 'cause']) keys.add(key);
  return [...keys].flatMap((key) => everyString((value as Record<string, unknown>)[key], seen));
}

/** Reads a streamed response until `marker` arrives, then hangs up. */
async function readUntil(url: string, marker: string): Promise<string> {
  const reader = (await fetch(url)).body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (!text.includes(marker)) {
    const chunk = await reader.read();
    if (chunk.done) break;
    text += decoder.decode(chunk.value, { stream: true });
  }
  await reader.cancel();
  return text;
}

/** Everything an error shows: its strings, `inspect` (causes included) and JSON. */
const errorText = (error: unknown) => [...everyString(error), inspect(error, { depth: 20 }), JSON.stringify(error)].join('\n');

describe('the fake echoes request headers into error bodies (so this test is not vacuous)', () => {
  it('a raw request sees its own key in the error body', async () => {
    fake.reply({ status: 400, echoRequestHeaders: true });
    const res = await fetch(`${fake.baseURL}/v1/messages`, { method: 'POST', headers: { 'x-api-key': SECRET, 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(400);
    expect(occurrences(await res.text())).toBe(1);
    expect(occurrences(JSON.stringify(fake.requests))).toBe(0); // the recorded headers stay redacted
  });
});

describe('API key scrubbing at the adapter', () => {
  it('x-api-key echoed in a 400 body: 0 occurrences in the error message, stack, cause and details', async () => {
    fake.reply({ status: 400, echoRequestHeaders: true });
    const claude = anthropicModel({ apiKey: SECRET, baseURL: fake.baseURL });
    const error = await lastValueFrom(claude.complete({ prompt: 'hi' })).catch((e: unknown) => e);
    expect(isModelCallError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'BAD_REQUEST', status: 400, retryable: false, message: expect.stringContaining('[REDACTED]') });
    expect(occurrences(errorText(error))).toBe(0);
    // The cause is still the SDK's error class, with a clean body.
    const cause = (error as Error).cause as APIError;
    expect(cause).toBeInstanceOf(BadRequestError);
    expect(cause.status).toBe(400);
    expect(JSON.stringify(cause.error)).toContain('[REDACTED]');
  });

  it('Authorization: Bearer echoed from a client of your own (authToken): 0 occurrences, retryable codes kept', async () => {
    fake.reply({ status: 529, echoRequestHeaders: true, retryAfterSeconds: 2 });
    const claude = anthropicModel({ client: new Anthropic({ authToken: TOKEN, apiKey: null, baseURL: fake.baseURL }) });
    const error = await lastValueFrom(claude.complete({ prompt: 'hi' })).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'OVERLOADED', status: 529, retryable: true, retryAfterMs: 2000 });
    expect(occurrences(errorText(error), TOKEN)).toBe(0);
    expect((error as Error).message).toContain('Bearer [REDACTED]');
  });

  it('a whole run: 0 occurrences in events, outcomes, pino logs, the run log file and the dashboard stream', async () => {
    fake.reply({ status: 529, echoRequestHeaders: true }, { status: 400, echoRequestHeaders: true });
    const claude = anthropicModel({ apiKey: SECRET, baseURL: fake.baseURL, model: 'claude-haiku-4-5' });
    const g = graph()
      .node('ask', { run: llm({ prompt: () => 'hello' }), retry: { count: 2, initialDelay: 1, jitter: 0 } })
      .build();

    const shared = shareRun(execute(g, { model: claude }));
    const events: RunEvent[] = [];
    shared.events$.subscribe((event) => events.push(event));
    let logs = '';
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logs += chunk.toString('utf8');
        done();
      },
    });
    shared.events$.subscribe(logRunEvents({ destination, level: 'trace', includeBodies: true }));
    const file = join(mkdtempSync(join(tmpdir(), 'rx-key-')), 'runs.jsonl');
    const runLog = writeRunLog(file);
    shared.events$.subscribe(runLog);
    const dashboard = await startDashboard({ events$: shared.events$ });
    try {
      const sse = readUntil(`${dashboard.url}events`, 'event: end');
      shared.connect();
      const result = await shared.result;
      await runLog.close();
      const sent = await sse;

      expect(result.outcomes.ask).toMatchObject({ status: 'failed', attempts: 2, error: { code: 'BAD_REQUEST' } });
      expect(events.some((e) => e.type === 'node.failed' && e.error.message.includes('[REDACTED]'))).toBe(true);
      expect(fake.requests).toHaveLength(2);
      expect(occurrences(events.map((e) => JSON.stringify(e)).join('\n'))).toBe(0);
      expect(occurrences(JSON.stringify(result))).toBe(0);
      expect(logs).toContain('node.failed');
      expect(occurrences(logs)).toBe(0);
      expect(readFileSync(file, 'utf8')).toContain('[REDACTED]');
      expect(occurrences(readFileSync(file, 'utf8'))).toBe(0);
      expect(sent).toContain('node.failed');
      expect(occurrences(sent)).toBe(0);
    } finally {
      await dashboard.close();
    }
  });

  it('the CLI (human output, --json, LOG_LEVEL=trace, --runs-log) prints 0 occurrences', async () => {
    fake.reply(
      { status: 529, echoRequestHeaders: true },
      { status: 400, echoRequestHeaders: true },
      { status: 529, echoRequestHeaders: true },
      { status: 400, echoRequestHeaders: true },
    );
    const runsLog = join(mkdtempSync(join(tmpdir(), 'rx-key-cli-')), 'runs.jsonl');
    const env = { ANTHROPIC_API_KEY: SECRET, ANTHROPIC_BASE_URL: fake.baseURL, LOG_LEVEL: 'trace' };
    const human = await runCli(['run', 'test/models/fixtures/echo-key.ts', '--runs-log', runsLog], { env });
    const json = await runCli(['run', 'test/models/fixtures/echo-key.ts', '--json'], { env });
    expect(fake.requests, human.stdout + human.stderr).toHaveLength(4);
    expect(human.code).not.toBe(0);
    expect(human.stdout + human.stderr).toContain('[REDACTED]');
    expect(occurrences(human.stdout + human.stderr)).toBe(0);
    expect(occurrences(json.stdout + json.stderr)).toBe(0);
    expect(occurrences(readFileSync(runsLog, 'utf8'))).toBe(0);
  }, 60_000);
});

describe('scrubSecrets', () => {
  it('keeps classes, native-error-ness and cycles; leaves clean values and short "keys" alone', () => {
    const body = { error: { message: `echo ${SECRET}` } };
    const inner = new TypeError(`inner ${SECRET}`);
    const outer = Object.assign(new RangeError('outer', { cause: inner }), { body, self: undefined as unknown });
    outer.self = outer;
    const clean = scrubSecrets(outer, [SECRET]);
    expect(clean).toBeInstanceOf(RangeError);
    expect(types.isNativeError(clean)).toBe(true);
    expect(clean.cause).toBeInstanceOf(TypeError);
    expect((clean.cause as Error).message).toBe('inner [REDACTED]');
    expect(clean.body.error.message).toBe('echo [REDACTED]');
    expect(clean.self).toBe(clean);
    expect(outer.body.error.message).toContain(SECRET); // the original is untouched
    const untouched = new Error('nothing secret here');
    expect(scrubSecrets(untouched, [SECRET])).toBe(untouched);
    expect(scrubSecrets('a test of test', ['test']).toString()).toBe('a test of test'); // under 8 characters: not a key
  });
});
