/**
 * The Message Batches endpoints of the fake Anthropic server: create, retrieve, list, results (as
 * JSONL), cancel and delete, with scripted processing times, per-request results (answers, errors,
 * cancellations, expiry) and the real API's rules (custom ids, 404 for unknown ids, results only
 * once a batch ended). Real time: this is a network fake, not scheduled code.
 * @module
 */
import type { ServerResponse } from 'node:http';
import { DEFAULT_REPLY_TEXT, estimateInputTokens, type TextReply, type ToolUseReply } from './replies.js';
import { requestProblem, thinkingEnabled } from './request-rules.js';
import { structuredOutputProblem } from './schema-rules.js';
import { errorBody, messageBody } from './sse.js';
import { messageOf } from './write-reply.js';

/**
 * What one request of a batch ends as: an answer (a text or tool-use reply), an error line
 * (`{ error: 'overloaded_error' }`), or `'canceled'` / `'expired'`.
 *
 * ## Example
 * ```ts
 * import type { FakeBatchResult } from 'rx-orchestra/testing';
 * const result: FakeBatchResult = { error: 'overloaded_error', message: 'Overloaded' };
 * ```
 */
export type FakeBatchResult = TextReply | ToolUseReply | { error: string; message?: string } | 'canceled' | 'expired';

/** One request of a batch, as the script sees it. */
export interface FakeBatchRequest {
  batchId: string;
  customId: string;
  /** The request's `params` (a Messages request body). */
  params: Record<string, unknown>;
  /** Its place in the batch, from 0. */
  index: number;
}

/**
 * How the fake processes batches (`startFakeAnthropic({ batches })`).
 *
 * ## Example
 * ```ts
 * import { startFakeAnthropic } from 'rx-orchestra/testing';
 * const fake = await startFakeAnthropic({ batches: { processingMs: 200, result: ({ customId }) => (customId === 'b' ? { error: 'overloaded_error' } : undefined) } });
 * ```
 */
export interface FakeBatchOptions {
  /** How long a batch takes to end after it is created, in ms (of the wall clock); per batch, by its number from 1. @default 0 */
  processingMs?: number | ((batchNumber: number) => number);
  /** A batch still processing this long after its creation ends with every request expired, in ms. @default 86400000 */
  expiresAfterMs?: number;
  /** How long canceling takes, in ms: the batch is `canceling` meanwhile. @default 0 */
  cancelMs?: number;
  /** The result of each request; undefined for the default (a text answer, or an `invalid_request_error` line for a request the API refuses). */
  result?: (request: FakeBatchRequest) => FakeBatchResult | undefined;
}

interface Batch {
  id: string;
  number: number;
  createdAt: number;
  endsAt: number;
  expired: boolean;
  cancelAt?: number;
  lines: { customId: string; params: Record<string, unknown>; result: FakeBatchResult }[];
  deleted: boolean;
}

const CUSTOM_ID = /^[a-zA-Z0-9_-]{1,64}$/;
const MAX_REQUESTS = 100_000;
const DAY_MS = 86_400_000;

/** The batch endpoints: `handle` answers a request under `/v1/messages/batches`. @internal */
export interface FakeBatches {
  handle(method: string, path: string, query: URLSearchParams, body: unknown, res: ServerResponse, requestId: string): void;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** @internal */
export function fakeBatches(options: FakeBatchOptions, baseURL: () => string, now: () => number = Date.now): FakeBatches {
  const { processingMs = 0, expiresAfterMs = DAY_MS, cancelMs = 0, result } = options;
  const batches = new Map<string, Batch>();
  const order: Batch[] = [];

  const endOf = (batch: Batch) => (batch.cancelAt !== undefined ? Math.min(batch.endsAt, batch.cancelAt + cancelMs) : batch.endsAt);
  const ended = (batch: Batch) => now() >= endOf(batch);
  const canceledEarly = (batch: Batch) => batch.cancelAt !== undefined && batch.cancelAt + cancelMs < batch.endsAt;
  const finalOf = (batch: Batch, line: Batch['lines'][number]): FakeBatchResult => (canceledEarly(batch) ? 'canceled' : batch.expired ? 'expired' : line.result);

  const counts = (batch: Batch) => {
    const tally = { processing: 0, succeeded: 0, errored: 0, canceled: 0, expired: 0 };
    if (!ended(batch)) {
      tally.processing = batch.lines.length;
      return tally;
    }
    for (const line of batch.lines) {
      const final = finalOf(batch, line);
      if (final === 'canceled' || final === 'expired') tally[final] += 1;
      else if ('error' in final) tally.errored += 1;
      else tally.succeeded += 1;
    }
    return tally;
  };

  const bodyOf = (batch: Batch) => {
    const done = ended(batch);
    return {
      id: batch.id,
      type: 'message_batch',
      processing_status: done ? 'ended' : batch.cancelAt !== undefined ? 'canceling' : 'in_progress',
      request_counts: counts(batch),
      ended_at: done ? iso(endOf(batch)) : null,
      created_at: iso(batch.createdAt),
      expires_at: iso(batch.createdAt + expiresAfterMs),
      archived_at: null,
      cancel_initiated_at: batch.cancelAt !== undefined ? iso(batch.cancelAt) : null,
      results_url: done ? `${baseURL()}/v1/messages/batches/${batch.id}/results` : null,
    };
  };

  const lineOf = (batch: Batch, line: Batch['lines'][number], index: number) => {
    const final = finalOf(batch, line);
    if (final === 'canceled' || final === 'expired') return { custom_id: line.customId, result: { type: final } };
    if ('error' in final) {
      return { custom_id: line.customId, result: { type: 'errored', error: errorBody(final.error, final.message ?? `fake batch error: ${final.error}`, `req_fakebatch${batch.number}_${index}`) } };
    }
    const message = messageOf(
      {
        thinking: thinkingEnabled(line.params),
        requestNumber: index + 1,
        messageId: `msg_fakebatch${batch.number}_${index}`,
        model: typeof line.params.model === 'string' ? line.params.model : undefined,
        inputTokens: estimateInputTokens(line.params),
      },
      final,
    );
    return { custom_id: line.customId, result: { type: 'succeeded', message: messageBody(message) } };
  };

  const json = (res: ServerResponse, status: number, body: unknown, requestId: string) => {
    res.writeHead(status, { 'content-type': 'application/json', 'request-id': requestId });
    res.end(JSON.stringify(body));
  };
  const fail = (res: ServerResponse, status: number, type: string, message: string, requestId: string) => json(res, status, errorBody(type, message, requestId), requestId);

  const create = (body: unknown, res: ServerResponse, requestId: string) => {
    const requests = (body as { requests?: unknown } | undefined)?.requests;
    if (!Array.isArray(requests) || requests.length === 0) return fail(res, 400, 'invalid_request_error', 'requests: Field required (a non-empty list)', requestId);
    if (requests.length > MAX_REQUESTS) return fail(res, 400, 'invalid_request_error', `requests: at most ${MAX_REQUESTS} requests per batch`, requestId);
    const seen = new Set<string>();
    for (const [i, request] of requests.entries()) {
      const { custom_id: customId, params } = (request ?? {}) as { custom_id?: unknown; params?: unknown };
      if (typeof customId !== 'string' || !CUSTOM_ID.test(customId)) return fail(res, 400, 'invalid_request_error', `requests.${i}.custom_id: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'`, requestId);
      if (seen.has(customId)) return fail(res, 400, 'invalid_request_error', `requests.${i}.custom_id: Duplicate custom_id '${customId}'; custom_id values must be unique within a batch.`, requestId);
      seen.add(customId);
      if (typeof params !== 'object' || params === null || Array.isArray(params)) return fail(res, 400, 'invalid_request_error', `requests.${i}.params: Field required`, requestId);
      if ((params as { stream?: unknown }).stream === true) return fail(res, 400, 'invalid_request_error', `requests.${i}.params.stream: streaming is not supported in batches`, requestId);
    }
    const number = order.length + 1;
    const id = `msgbatch_fake${String(number).padStart(6, '0')}`;
    const createdAt = now();
    const processing = typeof processingMs === 'function' ? processingMs(number) : processingMs;
    const expired = processing > expiresAfterMs;
    const lines = requests.map((request, index) => {
      const { custom_id: customId, params } = request as { custom_id: string; params: Record<string, unknown> };
      // The API checks each request's params when it processes it: a refused one is an errored line.
      const refused = structuredOutputProblem(params) ?? requestProblem(params);
      const scripted = refused ? undefined : result?.({ batchId: id, customId, params, index });
      const final: FakeBatchResult = refused ? { error: 'invalid_request_error', message: refused } : (scripted ?? { text: DEFAULT_REPLY_TEXT });
      return { customId, params, result: final };
    });
    const batch: Batch = { id, number, createdAt, endsAt: createdAt + Math.min(processing, expiresAfterMs), expired, lines, deleted: false };
    batches.set(id, batch);
    order.push(batch);
    json(res, 200, bodyOf(batch), requestId);
  };

  const list = (query: URLSearchParams, res: ServerResponse, requestId: string) => {
    const limit = Math.min(1000, Math.max(1, Number(query.get('limit') ?? 20)));
    let newestFirst = [...order].reverse().filter((batch) => !batch.deleted);
    const afterId = query.get('after_id');
    const beforeId = query.get('before_id');
    if (afterId) newestFirst = newestFirst.slice(newestFirst.findIndex((batch) => batch.id === afterId) + 1);
    if (beforeId) newestFirst = newestFirst.slice(0, Math.max(0, newestFirst.findIndex((batch) => batch.id === beforeId)));
    const page = newestFirst.slice(0, limit);
    json(res, 200, { data: page.map(bodyOf), has_more: newestFirst.length > page.length, first_id: page[0]?.id ?? null, last_id: page.at(-1)?.id ?? null }, requestId);
  };

  return {
    handle(method, path, query, body, res, requestId) {
      const rest = path.slice('/v1/messages/batches'.length).split('/').filter(Boolean);
      if (rest.length === 0) {
        if (method === 'POST') return create(body, res, requestId);
        if (method === 'GET') return list(query, res, requestId);
        return fail(res, 405, 'invalid_request_error', `${method} ${path} is not allowed`, requestId);
      }
      const batch = batches.get(rest[0]!);
      if (!batch || batch.deleted) return fail(res, 404, 'not_found_error', `No message batch with id '${rest[0]}' found.`, requestId);
      const action = rest.slice(1).join('/');
      if (action === '' && method === 'GET') return json(res, 200, bodyOf(batch), requestId);
      if (action === '' && method === 'DELETE') {
        if (!ended(batch)) return fail(res, 400, 'invalid_request_error', `Message batch '${batch.id}' is still processing; cancel it before deleting it.`, requestId);
        batch.deleted = true;
        return json(res, 200, { id: batch.id, type: 'message_batch_deleted' }, requestId);
      }
      if (action === 'cancel' && method === 'POST') {
        if (!ended(batch) && batch.cancelAt === undefined) batch.cancelAt = now();
        return json(res, 200, bodyOf(batch), requestId);
      }
      if (action === 'results' && method === 'GET') {
        if (!ended(batch)) return fail(res, 400, 'invalid_request_error', `Message batch '${batch.id}' has not finished processing: its results are not available yet.`, requestId);
        res.writeHead(200, { 'content-type': 'application/binary', 'request-id': requestId });
        res.end(batch.lines.map((line, index) => `${JSON.stringify(lineOf(batch, line, index))}\n`).join(''));
        return;
      }
      return fail(res, 404, 'not_found_error', `${method} ${path} is not served by the fake Anthropic server.`, requestId);
    },
  };
}
