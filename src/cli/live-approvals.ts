import { createInterface } from 'node:readline/promises';
import type { Readable } from 'node:stream';
import type { RunEvent } from '../run/events.js';
import type { Decision } from '../graph/dynamic-spec.js';
import { isNodeEndEvent } from '../run/events.js';
import type { TextOutput } from './output.js';
import { payloadPreview } from './live-groups.js';

/**
 * Settings of {@link liveApprovals}.
 *
 * ## Example
 * ```ts
 * import type { LiveApprovalsOptions } from './live-approvals.js';
 * const options: LiveApprovalsOptions = { decide: (id, d) => shared.decide(id, d), input: process.stdin, output: process.stderr };
 * ```
 */
export interface LiveApprovalsOptions {
  /** Delivers a decision to the run (`shareRun(...).decide` or `execute(...).decide`). */
  decide(nodeId: string, decision: Decision): void;
  /** Where answers are read from: a terminal (`isTTY`) is asked; anything else is not. */
  input?: Readable & { readonly isTTY?: boolean };
  /** Where the prompt and the hints go. */
  output: TextOutput;
  /** `--approve-all`: approve every node that waits, without asking. @default false */
  approveAll?: boolean;
  /** Nodes the run was already given a decision for (`--approve`/`--reject`): neither asked nor hinted. */
  decided?: ReadonlySet<string>;
  /** The dashboard's address, named in the hint when nobody can be asked. */
  dashboardUrl?: string;
  /** Called before a prompt (a live view stops redrawing) and after the answer. */
  pause?: () => void;
  resume?: () => void;
  /** Who decides, carried into `node.decided`. @default 'terminal' (a prompt), '--approve-all' */
  by?: string;
}

/**
 * The terminal's part in approvals, fed with the run's events: see {@link liveApprovals}.
 *
 * ## Example
 * ```ts
 * import { liveApprovals, type LiveApprovals } from './live-approvals.js';
 * const approvals: LiveApprovals = liveApprovals(options);
 * shared.events$.subscribe((event) => approvals.apply(event));
 * ```
 */
export interface LiveApprovals {
  /** Takes one event into account (after the views did). */
  apply(event: RunEvent): void;
  /** The node being asked about now, if any. */
  readonly asking: string | undefined;
  /** Resolves once no prompt is open and none is queued. */
  idle(): Promise<void>;
  /** Stops asking (an open prompt is dropped). Idempotent. */
  close(): void;
}

interface Ask {
  readonly nodeId: string;
  readonly payload: unknown;
  readonly timeoutMs: number | null;
}

/**
 * Decides about nodes that wait for approval (`node.waiting`) from the terminal:
 * - with `approveAll`, approves each the moment it waits;
 * - with a TTY `input`, asks one node at a time, `Approve send? payload: {...} [y/n/(r)eason]`
 *   (`y`, `n`, or `r` then the reason; `r <reason>` on one line too), and delivers the answer with
 *   `decide`; a node decided elsewhere (the dashboard) or timed out meanwhile is no longer asked about;
 * - otherwise (a pipe, CI), prints how to decide: `--approve`/`--reject` on the next run, or the
 *   dashboard.
 * Nodes in `decided` are left to the run. Decisions are delivered after the event that asked has
 * been handled (a microtask later), never from inside the run's emission. A decision the run
 * refuses (the node ended meanwhile) is reported on `output`, not thrown.
 *
 * ## Example
 * ```ts
 * import { liveApprovals } from './live-approvals.js';
 * const approvals = liveApprovals({ decide: (id, d) => shared.decide(id, d), input: process.stdin, output: process.stderr });
 * shared.events$.subscribe((event) => approvals.apply(event));
 * ```
 */
export function liveApprovals(options: LiveApprovalsOptions): LiveApprovals {
  const { output, input } = options;
  const queue: Ask[] = [];
  const waiting = new Set<string>();
  let asking: { nodeId: string; abort: AbortController } | undefined;
  let closed = false;
  let inputEnded = false;
  let idle: Promise<void> = Promise.resolve();
  let settleIdle: (() => void) | undefined;

  const deliver = (nodeId: string, decision: Decision) => {
    if (!waiting.has(nodeId)) return; // decided elsewhere, or ended, in the meantime
    try {
      options.decide(nodeId, decision);
    } catch (error) {
      output.write(`✗ ${nodeId}: ${error instanceof Error ? error.message : String(error)}\n`);
    }
  };

  const hint = (ask: Ask) => {
    const where = options.dashboardUrl ? `on the dashboard (${options.dashboardUrl}), or ` : '';
    output.write(
      `⏸ ${ask.nodeId} awaits approval, and no terminal can be asked (stdin is not a TTY): decide ${where}run again with --approve ${ask.nodeId} or --reject ${ask.nodeId} (or --approve-all)${ask.timeoutMs === null ? '' : `; it gives up after ${Math.round(ask.timeoutMs / 1000)} s`}\n`,
    );
  };

  const next = () => {
    if (asking || closed) return;
    const ask = queue.shift();
    if (!ask) {
      settleIdle?.();
      settleIdle = undefined;
      return;
    }
    if (!waiting.has(ask.nodeId)) return next();
    const abort = new AbortController();
    asking = { nodeId: ask.nodeId, abort };
    options.pause?.();
    void question(ask, abort.signal).then((decision) => {
      asking = undefined;
      if (decision) deliver(ask.nodeId, decision); // first: the view's next frame shows the decision
      options.resume?.();
      if (!decision && inputEnded && waiting.has(ask.nodeId)) hint(ask);
      next();
    });
  };

  /** Asks until the answer is one of y, n, r; undefined when aborted or stdin ended. */
  const question = async (ask: Ask, signal: AbortSignal): Promise<Decision | undefined> => {
    if (inputEnded || !input) return undefined;
    const rl = createInterface({ input, output: output as NodeJS.WritableStream, terminal: false });
    const ended = new Promise<undefined>((resolve) => rl.once('close', () => resolve(undefined)));
    const by = options.by ?? 'terminal';
    const ask1 = (text: string) => Promise.race([rl.question(text, { signal }).catch(() => undefined), ended]);
    try {
      for (;;) {
        const limit = ask.timeoutMs === null ? '' : ` (within ${Math.round(ask.timeoutMs / 1000)} s)`;
        const answer = await ask1(`Approve ${ask.nodeId}?${limit} payload: ${payloadPreview(ask.payload, 400)} [y/n/(r)eason] `);
        if (answer === undefined) {
          if (!signal.aborted) inputEnded = true;
          return undefined;
        }
        const text = answer.trim();
        if (/^y(es)?$/i.test(text)) return { approve: true, by };
        if (/^n(o)?$/i.test(text)) return { approve: false, by };
        const inline = /^r(eason)?\s+(.+)$/i.exec(text);
        if (inline) return { approve: false, reason: inline[2]!.trim(), by };
        if (/^r(eason)?$/i.test(text)) {
          const reason = await ask1(`Why reject ${ask.nodeId}? `);
          if (reason === undefined) return undefined;
          return { approve: false, ...(reason.trim() ? { reason: reason.trim() } : {}), by };
        }
        output.write(`answer y (approve), n (reject) or r (reject with a reason)\n`);
      }
    } finally {
      rl.close();
    }
  };

  const canAsk = () => input?.isTTY === true && !inputEnded;

  return {
    get asking() {
      return asking?.nodeId;
    },
    idle: () => (asking || queue.length > 0 ? idle : Promise.resolve()),
    apply(event) {
      if (closed) return;
      if (event.type === 'node.waiting') {
        waiting.add(event.nodeId);
        if (options.decided?.has(event.nodeId)) return;
        const ask: Ask = { nodeId: event.nodeId, payload: event.payload, timeoutMs: event.timeoutMs };
        if (options.approveAll) {
          queueMicrotask(() => deliver(event.nodeId, { approve: true, by: options.by ?? '--approve-all' }));
          return;
        }
        if (!canAsk()) return hint(ask);
        if (!asking && queue.length === 0) idle = new Promise((resolve) => (settleIdle = resolve));
        queue.push(ask);
        queueMicrotask(next); // after the event that asked has been handled (a decision given beforehand applies at once)
        return;
      }
      if (event.type === 'node.decided' || isNodeEndEvent(event)) {
        if (!waiting.delete(event.nodeId)) return;
        if (asking?.nodeId === event.nodeId) {
          output.write(`\n${event.type === 'node.decided' ? `${event.nodeId} was ${event.approve ? 'approved' : 'rejected'}${event.by ? ` by ${event.by}` : ''}` : `${event.nodeId} no longer waits`}\n`);
          asking.abort.abort();
        }
        return;
      }
      if (event.type === 'run.completed') this.close();
    },
    close() {
      if (closed) return;
      closed = true;
      queue.length = 0;
      asking?.abort.abort();
      settleIdle?.();
    },
  };
}
