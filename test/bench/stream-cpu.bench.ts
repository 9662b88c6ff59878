/**
 * `stream_cpu_ratio_vs_bare_sdk`: what rx-orchestra costs in CPU on top of the Anthropic SDK when it
 * streams. 200 streamed calls (500 output tokens each, in 125 text deltas), real HTTP to the fake
 * Anthropic server running in a child process (its CPU is not counted), made two ways in one process:
 *
 * - through rx-orchestra: 200 `llm()` nodes run by `execute(g, { model: anthropicModel(...),
 *   concurrency: 50 })` with the defaults (governed model, events, cost accounting), with a pino
 *   run logger subscribed (`logRunEvents` of `rx-orchestra/observe`, level info, to a destination
 *   that drops the bytes);
 * - bare: the same 200 requests with the SDK itself, 50 at a time: `client.messages.stream(...)`,
 *   the text gathered from `'text'` events, then `finalMessage()`.
 *
 * The figure is the CPU time (`process.cpuUsage()`, user + system) of the first divided by that of
 * the second, summed over 3 alternating rounds each, after a warm-up of both; a GC runs before each
 * round so one side's garbage is not collected on the other's time. Target <= 1.25.
 *
 * `npx tsx test/bench/stream-cpu.bench.ts` (or `npm run bench -- streamCpuRatio`) runs it alone.
 */
import { fork } from 'node:child_process';
import { Writable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Anthropic from '@anthropic-ai/sdk';
import { anthropicModel, execute, graphFromNodes, llm, type RunEvent } from '../../src/index.js';
import { createRunLogger, logRunEvents } from '../../src/observe/index.js';
import { report, type Figure } from './report.js';

const CALLS = 200;
const CONCURRENCY = 50;
const ROUNDS = 3;
const WARMUP_CALLS = 100;
const MODEL = 'claude-sonnet-4-6';
const API_KEY = 'sk-ant-bench-not-a-real-key';

/** Starts `stream-fake.ts` in a child process and waits for its address. */
function startFakeProcess(): Promise<{ baseURL: string; close: () => Promise<void> }> {
  const child = fork(fileURLToPath(new URL('./stream-fake.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', (message: { baseURL: string }) =>
      resolve({
        baseURL: message.baseURL,
        close: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', () => done());
            if (child.connected) child.disconnect();
          }),
      }),
    );
    child.once('exit', (code) => reject(new Error(`the fake server exited (${String(code)})`)));
  });
}

/** CPU ms (user + system) and wall ms of `work`. */
async function measure(work: () => Promise<void>): Promise<{ cpuMs: number; wallMs: number }> {
  (globalThis as { gc?: () => void }).gc?.();
  const wall = performance.now();
  const cpu = process.cpuUsage();
  await work();
  const used = process.cpuUsage(cpu);
  return { cpuMs: (used.user + used.system) / 1000, wallMs: performance.now() - wall };
}

/** The same requests with the SDK alone, `CONCURRENCY` at a time. */
async function viaBareSdk(client: Anthropic, calls: number): Promise<number> {
  let next = 0;
  let tokens = 0;
  const worker = async () => {
    while (next < calls) {
      const i = next++;
      const stream = client.messages.stream({ model: MODEL, max_tokens: 1024, messages: [{ role: 'user', content: `question ${i}: say five hundred tokens` }] });
      let text = '';
      stream.on('text', (delta) => {
        text += delta;
      });
      const message = await stream.finalMessage();
      tokens += message.usage.output_tokens;
      if (text.length === 0) throw new Error('stream bench: an empty answer');
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return tokens;
}

/** `stream_cpu_ratio_vs_bare_sdk`; see the module comment. */
export async function streamCpuRatio(): Promise<Figure[]> {
  const fake = await startFakeProcess();
  try {
    const logger = createRunLogger({ level: 'info', destination: new Writable({ write: (_chunk, _encoding, done) => done() }) });
    const client = new Anthropic({ apiKey: API_KEY, baseURL: fake.baseURL, maxRetries: 0 });
    const orchestrated = async (calls: number) => {
      const log = logRunEvents({ logger });
      const model = anthropicModel({ apiKey: API_KEY, baseURL: fake.baseURL, model: MODEL });
      const g = graphFromNodes(Array.from({ length: calls }, (_, i) => ({ id: `call_${i}`, run: llm({ prompt: () => `question ${i}: say five hundred tokens`, maxTokens: 1024 }) })));
      let summary: Extract<RunEvent, { type: 'run.completed' }>['summary'] | undefined;
      await new Promise<void>((resolve, reject) =>
        execute(g, { model, concurrency: CONCURRENCY }).subscribe({
          next: (event) => {
            log(event);
            if (event.type === 'run.completed') summary = event.summary;
          },
          error: reject,
          complete: resolve,
        }),
      );
      if (summary?.status !== 'succeeded' || summary.usage.total.outputTokens !== calls * 500) throw new Error(`stream bench: the run ended ${summary?.status} with ${summary?.usage.total.outputTokens} output tokens`);
    };
    const bare = async (calls: number) => {
      const tokens = await viaBareSdk(client, calls);
      if (tokens !== calls * 500) throw new Error(`stream bench: the bare loop got ${tokens} output tokens`);
    };
    await orchestrated(WARMUP_CALLS);
    await bare(WARMUP_CALLS);
    const rxo = { cpuMs: 0, wallMs: 0 };
    const sdk = { cpuMs: 0, wallMs: 0 };
    const add = (to: typeof rxo, m: typeof rxo) => ((to.cpuMs += m.cpuMs), (to.wallMs += m.wallMs));
    for (let round = 0; round < ROUNDS; round++) {
      add(rxo, await measure(() => orchestrated(CALLS)));
      add(sdk, await measure(() => bare(CALLS)));
    }
    const ratio = rxo.cpuMs / sdk.cpuMs;
    const per = (ms: number) => `${((ms * 1000) / (CALLS * ROUNDS)).toFixed(0)} us`;
    return [
      {
        name: 'stream_cpu_ratio_vs_bare_sdk',
        value: Math.round(ratio * 100) / 100,
        unit: 'x',
        note:
          `CPU of ${CALLS} streamed calls (${CONCURRENCY} at a time, 500 output tokens in 125 deltas each, real HTTP to the fake server in a child process) through llm() nodes with a pino logger subscribed, ` +
          `over the same calls with the bare SDK, ${ROUNDS} rounds each: ${per(rxo.cpuMs)} vs ${per(sdk.cpuMs)} CPU per call (wall ${(rxo.wallMs / ROUNDS).toFixed(0)} vs ${(sdk.wallMs / ROUNDS).toFixed(0)} ms per round); target <= 1.25`,
      },
    ];
  } finally {
    await fake.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) report(await streamCpuRatio());
