import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Decision } from '../graph/dynamic-spec.js';
import { ApprovalError, isApprovalError } from '../run/errors.js';

/** Bodies of `POST /decide` larger than this are refused (413). */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * What `POST /decide` needs: the run's `decide`, and whether a node waits for a decision now (as
 * the dashboard's own view of the run says).
 */
export interface DecideRouteOptions {
  /** The run's `decide` (`shareRun(...).decide`); undefined: this dashboard takes no decisions. */
  readonly decide: ((nodeId: string, decision: Decision) => void) | undefined;
  readonly isWaiting: (nodeId: string) => boolean;
}

/** A refusal: the HTTP status and the message (naming the field for a 400). */
interface Refusal {
  readonly status: number;
  readonly message: string;
}

/**
 * `POST /decide` with a JSON body `{ nodeId, approve, reason?, value?, by? }`: delivers the page's
 * Approve/Reject to the run. Refuses, as `{ error }` JSON: 415 for a body that is not
 * `application/json` (so another site's form or simple request cannot post: a cross-origin JSON
 * post needs a preflight this server never grants), 403 for a foreign `Origin`, 413 for a body
 * over 64 KiB, 400 naming the field for bad input (`nodeId: must be a non-empty string`), and 409
 * with the `ApprovalError`'s message for a node that does not wait for a decision now, or a
 * dashboard given no `decide`. Answers 200 `{ ok: true }` once the run took it.
 */
export async function decideRoute(req: IncomingMessage, res: ServerResponse, origins: ReadonlySet<string>, options: DecideRouteOptions): Promise<void> {
  const refusal = await decide(req, origins, options);
  const body = JSON.stringify(refusal ? { error: refusal.message } : { ok: true });
  res.writeHead(refusal?.status ?? 200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

async function decide(req: IncomingMessage, origins: ReadonlySet<string>, options: DecideRouteOptions): Promise<Refusal | undefined> {
  const origin = req.headers.origin;
  if (origin !== undefined && !origins.has(origin)) return { status: 403, message: `origin '${origin}' may not decide: only the dashboard's own page` };
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) return { status: 415, message: "content-type: must be 'application/json'" };
  const text = await readBody(req);
  if (text === undefined) return { status: 413, message: `body: larger than ${MAX_BODY_BYTES} bytes` };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { status: 400, message: 'body: must be a JSON object' };
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { status: 400, message: 'body: must be a JSON object' };
  const { nodeId, approve, reason, by, value } = body as Record<string, unknown>;
  if (typeof nodeId !== 'string' || nodeId === '') return { status: 400, message: 'nodeId: must be a non-empty string' };
  if (typeof approve !== 'boolean') return { status: 400, message: 'approve: must be true or false' };
  if (reason !== undefined && typeof reason !== 'string') return { status: 400, message: 'reason: must be a string' };
  if (by !== undefined && (typeof by !== 'string' || by === '')) return { status: 400, message: 'by: must be a non-empty string' };
  if (!options.decide) return { status: 409, message: new ApprovalError('NO_LIVE_RUN', nodeId, 'decide: this dashboard takes no decisions (it shows a replay, or was started without decide)').message };
  if (!options.isWaiting(nodeId)) return { status: 409, message: new ApprovalError('NOT_WAITING', nodeId, `decide: node '${nodeId}' is not waiting for a decision`).message };
  const decision: Decision = { approve, by: by ?? 'dashboard', ...(reason ? { reason } : {}), ...(value !== undefined ? { value } : {}) };
  try {
    options.decide(nodeId, decision);
  } catch (error) {
    if (isApprovalError(error)) return { status: 409, message: error.message };
    throw error;
  }
  return undefined;
}

/** The request's body as text; undefined when it is over the limit. */
async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    if (bytes > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
