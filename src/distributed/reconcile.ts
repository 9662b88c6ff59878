import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ErrorInfo } from '../run/events.js';
import { parseProgress } from './protocol.js';

/** One entry of a queue's event stream, as the dispatcher handles it. @internal */
export interface StreamEvent {
  id: string;
  event: string;
  jobId: string;
  /** `progress`: the message (parsed JSON). */
  data?: unknown;
  /** `completed`: the value (parsed JSON). */
  returnvalue?: unknown;
  /** `failed`: BullMQ's message. */
  failedReason?: string;
}

/** What became of a job, read from Redis after an outage. @internal */
export type JobFate =
  | { state: 'pending' } // waiting, delayed or running: its events are still to come
  | { state: 'completed'; value: unknown }
  | { state: 'failed'; reason: string; error?: ErrorInfo }
  | { state: 'lost' }; // not in Redis: Redis came back without it

/** Events ending a job in the stream. @internal */
export const FINAL_EVENTS: ReadonlySet<string> = new Set(['completed', 'failed', 'removed']);

/** -1, 0 or 1 as stream id `a` is before, the same as or after `b` (`<ms>-<seq>`). @internal */
export function compareEventIds(a: string, b: string): number {
  const [aMs = 0, aSeq = 0] = a.split('-').map(Number);
  const [bMs = 0, bSeq = 0] = b.split('-').map(Number);
  return Math.sign(aMs - bMs || aSeq - bSeq);
}

const PAGE = 1_000;

/**
 * The events of the given jobs in the stream after id `after` (exclusive), oldest first, parsed
 * as BullMQ's QueueEvents does. Reads the whole rest of the stream in pages (BullMQ trims it to
 * about 10,000 entries). @internal
 */
export async function eventsAfter(commands: Redis, streamKey: string, after: string, jobIds: ReadonlySet<string>): Promise<StreamEvent[]> {
  const found: StreamEvent[] = [];
  let start = after;
  for (;;) {
    const page = await commands.xrange(streamKey, start, '+', 'COUNT', PAGE);
    for (const [id, fields] of page) {
      if (compareEventIds(id, after) <= 0) continue;
      const entry = fieldsOf(fields);
      if (entry.jobId === undefined || !jobIds.has(entry.jobId) || entry.event === undefined) continue;
      found.push(parseEntry(id, entry as Record<'event' | 'jobId', string> & Record<string, string>));
    }
    if (page.length < PAGE) return found;
    start = page[page.length - 1]![0];
  }
}

/** A job's state in Redis, with its value or error when it ended. @internal */
export async function jobFate(queue: Queue, jobId: string): Promise<JobFate> {
  const state = await queue.getJobState(jobId);
  if (state === 'unknown') return { state: 'lost' };
  if (state !== 'completed' && state !== 'failed') return { state: 'pending' };
  const job = await queue.getJob(jobId);
  if (!job) return { state: 'lost' }; // removed in between (keepCompleted/keepFailed): its event tells
  if (state === 'completed') return { state: 'completed', value: job.returnvalue };
  const { error } = parseProgress(job.progress); // the worker's last progress message carries the error
  return error ? { state: 'failed', reason: job.failedReason, error } : { state: 'failed', reason: job.failedReason };
}

function fieldsOf(fields: string[]): Record<string, string | undefined> {
  const entry: Record<string, string> = Object.create(null) as Record<string, string>;
  for (let i = 0; i + 1 < fields.length; i += 2) entry[fields[i]!] = fields[i + 1]!;
  return entry;
}

function parseEntry(id: string, entry: Record<'event' | 'jobId', string> & Record<string, string | undefined>): StreamEvent {
  const parsed: StreamEvent = { id, event: entry.event, jobId: entry.jobId };
  if (entry.event === 'progress' && entry.data !== undefined) parsed.data = parseJson(entry.data);
  if (entry.event === 'completed' && entry.returnvalue !== undefined) parsed.returnvalue = parseJson(entry.returnvalue);
  if (entry.event === 'failed') parsed.failedReason = entry.failedReason ?? '';
  return parsed;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
