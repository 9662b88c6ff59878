import { catchError, concatMap, defer, map, of, throwError, type Observable } from 'rxjs';
import { withRunDefaults, type NodeContext } from '../../graph/node-spec.js';
import type { EventOf } from '../../run/events.js';
import { errorInfo } from '../../run/outcome.js';
import type { Router, RouterDecision } from './router.js';
import type { Worker } from './worker.js';
import type { SupervisorCallContext, WorkerContext } from './context.js';
import { FINISH, initialMessages, isSupervisorResult, markResult, toJson, type SupervisorMessage, type SupervisorResult, type SupervisorState, type TurnTrace } from './state.js';
import { SupervisorError, isSupervisorError } from './errors.js';
import { callOnce } from './call-once.js';
import { workerTurn } from './worker-turn.js';

/**
 * Settings of {@link supervisor}. `workers` and `router` are required.
 *
 * ## Example
 * ```ts
 * import { supervisor, sequenceRouter, type SupervisorOptions } from 'rx-orchestra/patterns';
 * const options: SupervisorOptions = {
 *   name: 'data-team',
 *   workers: { recommender, auditor },
 *   router: sequenceRouter(['recommender', 'auditor']),
 *   maxTurns: 4,
 *   onMaxTurns: 'finish',
 *   onWorkerError: 'report',
 *   input: ({ inputs }) => String(inputs.question),
 * };
 * const run = supervisor(options);
 * ```
 */
export interface SupervisorOptions {
  /**
   * The supervisor's name: the root of the paths in its events (`platform`). As a team under
   * another supervisor, the team is known by the worker name its parent gave it
   * (`platform/data-team`). @default the node id
   */
  name?: string;
  /** The workers by name (not `FINISH`, no `/`). A supervisor's `run` is a worker too. */
  workers: Readonly<Record<string, Worker>>;
  /** Picks the next worker or `FINISH`: {@link llmRouter}, {@link staticRouter} or your own. */
  router: Router;
  /**
   * The most workers one request may run. After the last one the router is asked once more and
   * must say `FINISH`; choosing a worker then is handled by `onMaxTurns`. @default 10
   */
  maxTurns?: number;
  /**
   * What a router that does not finish within `maxTurns` gets: `'error'` fails the loop with a
   * `MAX_TURNS` {@link SupervisorError}; `'finish'` ends it with the state so far (reason
   * `maxTurns`). @default 'error'
   */
  onMaxTurns?: 'error' | 'finish';
  /**
   * What a failing worker does to the loop: `'fail'` fails it (a `WORKER_FAILED` or
   * `INVALID_HANDOFF` error, or a team's own error); `'report'` puts the failure into the
   * conversation as the worker's message (`error` set) and lets the router route around it. A
   * worker that fails because the loop was cancelled (its signal aborted: the run was cancelled, a
   * node deadline passed, a parent team was cancelled) fails the loop either way: nothing runs
   * after an abort. @default 'fail'
   */
  onWorkerError?: 'fail' | 'report';
  /**
   * As a graph node: the request, from the node's context. A string is the user's message;
   * `{ messages }` a conversation; other values a structured request.
   * @default the single dependency's value (a supervisor's: its `output`); all dependencies' values by id when several; none: empty
   */
  input?: (ctx: NodeContext<Record<string, unknown>, unknown, unknown>) => unknown;
}

/**
 * What `supervisor()` returns: a node's `run` (`graph().node('team', { run })`) that is also a
 * worker of another supervisor (`workers: { 'data-team': { run } }`). Called with one argument it
 * is a node; with `(input, workerContext)` it is a team under a parent supervisor.
 *
 * ## Example
 * ```ts
 * import { graph } from 'rx-orchestra';
 * import { supervisor, sequenceRouter, type SupervisorRun } from 'rx-orchestra/patterns';
 * const dataTeam: SupervisorRun = supervisor({ name: 'data-team', workers: { retrieval }, router: sequenceRouter(['retrieval']) });
 * const platform = supervisor({ name: 'platform', workers: { 'data-team': { run: dataTeam } }, router: sequenceRouter(['data-team']) });
 * graph().node('answer', { run: platform });
 * ```
 */
export type SupervisorRun = ((nodeContextOrInput: unknown, workerContext?: WorkerContext) => Observable<SupervisorResult>) & {
  /** No node deadline by default: the loop is bounded by `maxTurns`, and calls carry their own. */
  readonly defaultTimeout: false;
  /** The worker names, in definition order. */
  readonly workers: readonly string[];
};

/**
 * The supervisor pattern (seed 004) as a node: a router picks the next worker or `FINISH`; the
 * chosen worker runs; its result goes back into the conversation as a message named after the
 * worker; repeat until `FINISH`. `maxTurns` turns a router that never finishes into a typed error
 * (or a forced finish); a router naming an unknown worker is an `UNKNOWN_WORKER`
 * {@link SupervisorError}. Workers are isolated behind input and output transforms (and optional
 * zod schemas). Supervisors nest: a supervisor's `run` is a worker of another, to any depth.
 *
 * Every decision and worker turn is on the run's stream: `supervisor.routed` (turn, next,
 * rationale), `supervisor.worker` (started, succeeded or failed with `durationMs`),
 * `supervisor.finished` (turns, routing calls, reason), each with the supervisor's path
 * (`platform/data-team`). Unsubscribing aborts the in-flight router or worker's signal. The value
 * is a {@link SupervisorResult}: the final conversation, the answer and a per-turn trace.
 *
 * ## Example
 * ```ts
 * import { graph, execute, collect } from 'rx-orchestra';
 * import { supervisor, llmRouter, staticRouter, lastMessage } from 'rx-orchestra/patterns';
 * const dataTeam = supervisor({
 *   name: 'data-team',
 *   workers: {
 *     recommender: { run: (question: string, { signal }) => recommend(question, { signal }) },
 *     post_processor: { input: (s) => lastMessage(s, 'recommender')?.content, run: (text: string) => [sortTable(text)] },
 *   },
 *   router: llmRouter({ system: 'You are a data standardization supervisor.', rationale: true }),
 *   maxTurns: 6,
 * });
 * const platform = supervisor({ name: 'platform', workers: { 'data-team': { run: dataTeam } }, router: staticRouter([(s) => s.turn === 1 && 'data-team']) });
 * const g = graph().node('request', { run: () => ['Standardize the patient id column'] }).node('answer', { deps: ['request'], run: platform }).build();
 * const { outcomes } = await collect(execute(g));
 * ```
 * @throws {SupervisorError} `INVALID_OPTIONS`, at once, for bad options (named by option)
 */
export function supervisor(options: SupervisorOptions): SupervisorRun {
  const config = checkOptions(options);
  const run = (first: unknown, workerContext?: WorkerContext): Observable<SupervisorResult> => {
    if (workerContext) {
      return supervisorLoop(config, first, { ...workerContext, path: `${workerContext.supervisor}/${workerContext.worker}` });
    }
    if (!isNodeContext(first)) {
      return throwError(() => new SupervisorError('INVALID_OPTIONS', config.label, 'its run was called without a node context or a worker context', { option: 'run' }));
    }
    const ctx = first;
    return defer(() => {
      const input = config.input ? config.input(ctx) : defaultNodeInput(ctx.inputs);
      const base: LoopContext = {
        path: config.name ?? ctx.nodeId,
        signal: ctx.signal,
        scheduler: ctx.scheduler,
        model: ctx.model,
        ...(ctx.random ? { random: ctx.random } : {}),
        nodeId: ctx.nodeId,
        runId: ctx.runId,
        attempt: ctx.attempt,
        context: ctx.context,
        emit: ctx.emit,
      };
      return supervisorLoop(config, input, base);
    });
  };
  return withRunDefaults(run, { defaultTimeout: false, workers: config.names });
}

/** Options checked, defaults applied. */
interface Config {
  readonly name: string | undefined;
  /** For errors raised before the path is known. */
  readonly label: string;
  readonly workers: Readonly<Record<string, Worker>>;
  readonly names: readonly string[];
  readonly descriptions: Readonly<Record<string, string>> | undefined;
  readonly router: Router;
  readonly maxTurns: number;
  readonly onMaxTurns: 'error' | 'finish';
  readonly onWorkerError: 'fail' | 'report';
  readonly input: SupervisorOptions['input'];
}

/** The parent facilities a loop runs with, and its own path. */
interface LoopContext extends Omit<SupervisorCallContext, 'supervisor' | 'turn'> {
  readonly path: string;
}

function checkOptions(options: SupervisorOptions): Config {
  const label = typeof options?.name === 'string' ? options.name : 'supervisor';
  const bad = (option: string, message: string) => new SupervisorError('INVALID_OPTIONS', label, message, { option });
  if (typeof options !== 'object' || options === null) throw bad('options', `options must be an object, got ${toJson(options)}`);
  const { name, workers, router, maxTurns = 10, onMaxTurns = 'error', onWorkerError = 'fail', input } = options;
  if (name !== undefined && !(typeof name === 'string' && name.length > 0 && !name.includes('/'))) throw bad('name', `'name' must be a non-empty string without '/', got ${toJson(name)}`);
  if (typeof workers !== 'object' || workers === null) throw bad('workers', `'workers' must be an object of workers by name`);
  const names = Object.keys(workers);
  if (names.length === 0) throw bad('workers', 'it has no workers');
  for (const worker of names) {
    if (worker === FINISH) throw bad('workers', `a worker cannot be named '${FINISH}': that name ends the loop`);
    if (worker.length === 0 || worker.includes('/')) throw bad('workers', `worker name ${toJson(worker)} must be non-empty and without '/' (it becomes part of event paths)`);
    if (typeof workers[worker]?.run !== 'function') throw bad('workers', `worker '${worker}' has no run function`);
  }
  if (typeof router !== 'function') throw bad('router', `'router' must be a function (llmRouter, staticRouter or your own), got ${typeof router}`);
  if (!(Number.isInteger(maxTurns) && maxTurns >= 1)) throw bad('maxTurns', `'maxTurns' must be an integer >= 1, got ${toJson(maxTurns)}`);
  if (onMaxTurns !== 'error' && onMaxTurns !== 'finish') throw bad('onMaxTurns', `'onMaxTurns' must be 'error' or 'finish', got ${toJson(onMaxTurns)}`);
  if (onWorkerError !== 'fail' && onWorkerError !== 'report') throw bad('onWorkerError', `'onWorkerError' must be 'fail' or 'report', got ${toJson(onWorkerError)}`);
  if (input !== undefined && typeof input !== 'function') throw bad('input', `'input' must be a function of the node context`);
  const described = names.filter((worker) => typeof workers[worker]!.description === 'string').map((worker) => [worker, workers[worker]!.description!] as const);
  const descriptions = described.length ? Object.fromEntries(described) : undefined;
  return { name, label, workers, names, descriptions, router, maxTurns, onMaxTurns, onWorkerError, input };
}

/** The loop itself: route, run, append, repeat. Cold; each subscription is a fresh conversation. */
function supervisorLoop(config: Config, input: unknown, base: LoopContext): Observable<SupervisorResult> {
  return defer(() => {
    const { path, scheduler } = base;
    const emit = (report: SupervisorReport) => base.emit(report);
    const messages: SupervisorMessage[] = initialMessages(input);
    const trace: TurnTrace[] = [];
    let routingCalls = 0;
    let turnsRun = 0;
    const callContext = (turn: number, signal: AbortSignal): SupervisorCallContext => ({
      signal,
      scheduler,
      model: base.model,
      ...(base.random ? { random: base.random } : {}),
      supervisor: path,
      turn,
      nodeId: base.nodeId,
      runId: base.runId,
      attempt: base.attempt,
      context: base.context,
      emit: base.emit,
    });

    const stateAt = (turn: number): SupervisorState => ({
      messages: [...messages],
      turn,
      workers: config.names,
      ...(config.descriptions ? { descriptions: config.descriptions } : {}),
    });

    const finish = (reason: 'FINISH' | 'maxTurns'): Observable<SupervisorResult> => {
      emit({ type: 'supervisor.finished', supervisor: path, turns: turnsRun, routingCalls, reason });
      const output = [...messages].reverse().find((m) => m.role === 'worker')?.content;
      return of(markResult({ supervisor: path, reason, output, messages: [...messages], turns: turnsRun, routingCalls, trace: [...trace] }));
    };

    const route = (turn: number): Observable<RouterDecision> => {
      const state = stateAt(turn);
      routingCalls += 1;
      return callOnce(base.signal, (signal) => config.router(state, callContext(turn, signal)), () =>
        new SupervisorError('ROUTER_FAILED', path, `its router completed without a decision at turn ${turn}`, { turn }),
      ).pipe(
        catchError((error: unknown) =>
          throwError(() => (isSupervisorError(error) ? error : new SupervisorError('ROUTER_FAILED', path, `its router failed at turn ${turn}: ${errorInfo(error).message}`, { turn, cause: error }))),
        ),
        map((decision) => checkDecision(decision, path, turn)),
      );
    };

    const runWorker = (name: string, turn: number, entry: Mutable<TurnTrace>): Observable<void> => {
      const startedAt = scheduler.now();
      emit({ type: 'supervisor.worker', supervisor: path, turn, worker: name, status: 'started' });
      const ctx: WorkerContext = { ...callContext(turn, base.signal), worker: name };
      return workerTurn(config.workers[name]!, stateAt(turn), ctx).pipe(
        map((message) => {
          const durationMs = scheduler.now() - startedAt;
          emit({ type: 'supervisor.worker', supervisor: path, turn, worker: name, status: 'succeeded', durationMs });
          entry.worker = { name, startedAt, durationMs, status: 'succeeded' };
          messages.push(message);
          turnsRun += 1;
        }),
        catchError((error: unknown) => {
          const durationMs = scheduler.now() - startedAt;
          const info = errorInfo(error);
          emit({ type: 'supervisor.worker', supervisor: path, turn, worker: name, status: 'failed', durationMs, error: info });
          entry.worker = { name, startedAt, durationMs, status: 'failed', error: info };
          turnsRun += 1;
          // The loop itself was cancelled (the run, a node deadline, a parent): fatal whatever
          // onWorkerError says; reporting it would route again after the abort.
          if (config.onWorkerError === 'fail' || base.signal.aborted) return throwError(() => error);
          messages.push({ role: 'worker', name, turn, content: `error: ${info.message}`, error: info });
          return of(undefined);
        }),
      );
    };

    const turn = (n: number): Observable<SupervisorResult> => {
      // Cancelled (the run, a deadline, a parent team) between turns: no router call, no worker.
      if (base.signal.aborted) return throwError(() => base.signal.reason as unknown);
      const routingStartedAt = scheduler.now();
      return route(n).pipe(
        concatMap(({ next, rationale }) => {
          const routedAt = scheduler.now();
          emit({ type: 'supervisor.routed', supervisor: path, turn: n, next, ...(rationale !== undefined ? { rationale } : {}) });
          const entry: Mutable<TurnTrace> = { turn: n, next, ...(rationale !== undefined ? { rationale } : {}), routedAt, routingMs: routedAt - routingStartedAt };
          trace.push(entry);
          if (next === FINISH) return finish('FINISH');
          if (!Object.hasOwn(config.workers, next)) {
            throw new SupervisorError('UNKNOWN_WORKER', path, `its router chose '${next}' at turn ${n}, which is not one of its workers (${config.names.join(', ')}) or ${FINISH}`, { worker: next, turn: n });
          }
          if (n > config.maxTurns) {
            if (config.onMaxTurns === 'finish') return finish('maxTurns');
            throw new SupervisorError('MAX_TURNS', path, `its router chose '${next}' after ${config.maxTurns} turns (maxTurns) instead of ${FINISH}`, { worker: next, turn: n });
          }
          return runWorker(next, n, entry).pipe(concatMap(() => turn(n + 1)));
        }),
      );
    };

    return turn(1);
  });
}

/** A supervisor event as a node reports it (the executor adds ids, attempt and time). */
type SupervisorReport = EventOf<'supervisor.routed' | 'supervisor.worker' | 'supervisor.finished'> extends infer E
  ? E extends unknown
    ? Omit<E, 'runId' | 'nodeId' | 'at' | 'attempt'>
    : never
  : never;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function checkDecision(decision: unknown, path: string, turn: number): RouterDecision {
  const { next, rationale } = (typeof decision === 'object' && decision !== null ? decision : {}) as { next?: unknown; rationale?: unknown };
  if (typeof next !== 'string' || (rationale !== undefined && typeof rationale !== 'string')) {
    throw new SupervisorError('ROUTER_FAILED', path, `its router returned ${toJson(decision)} at turn ${turn}, not a decision { next: string, rationale?: string }`, { turn });
  }
  return rationale === undefined ? { next } : { next, rationale };
}

function isNodeContext(value: unknown): value is NodeContext<Record<string, unknown>, unknown, unknown> {
  return typeof value === 'object' && value !== null && 'scheduler' in value && 'emit' in value && 'inputs' in value;
}

/** The request of a supervisor node without an `input` option. */
function defaultNodeInput(inputs: Record<string, unknown>): unknown {
  const values = Object.values(inputs);
  if (values.length === 0) return undefined;
  if (values.length > 1) return { ...inputs };
  const [value] = values;
  return isSupervisorResult(value) ? (value.output ?? '') : value; // a supervisor upstream: its answer
}
