import { asyncScheduler } from 'rxjs';
import { execute, graph, type RunEvent, type ExecuteOptions } from 'rx-orchestra';
import { type SupervisorRun, type WorkerContext } from 'rx-orchestra/patterns';

/** What a worker may report. */
export type Report = Parameters<WorkerContext['emit']>[0];
import { record, testScheduler } from '../../run/virtual-run.js';

export { record, testScheduler, work, failAfter } from '../../run/virtual-run.js';

/** Runs a one-node graph whose node is the supervisor, in virtual time; returns every event. */
export function runSupervisor(
  make: SupervisorRun | (() => SupervisorRun),
  request: unknown = 'standardize the patient id column',
  options: ExecuteOptions = {},
): RunEvent[] {
  return testScheduler().run(() => {
    // build inside the virtual run, so that models and timers use virtual time
    const run = 'defaultTimeout' in make ? make : make();
    const g = graph()
      .node('request', { run: () => [request] })
      .node('standardize', { deps: ['request'], run })
      .build();
    return record(execute(g, options));
  });
}

/** The supervisor node's end event. */
export function endOf(events: readonly RunEvent[], nodeId = 'standardize') {
  const end = events.find((e) => 'nodeId' in e && e.nodeId === nodeId && (e.type === 'node.succeeded' || e.type === 'node.failed' || e.type === 'node.timedOut'));
  if (!end) throw new Error(`no end event for ${nodeId}`);
  return end;
}

/** The supervisor node's value (fails the test when it did not succeed). */
export function valueOf<T = unknown>(events: readonly RunEvent[], nodeId = 'standardize'): T {
  const end = endOf(events, nodeId);
  if (end.type !== 'node.succeeded') throw new Error(`${nodeId} ended ${end.type}: ${JSON.stringify('error' in end ? end.error : undefined)}`);
  return end.value as T;
}

/** A worker context for calling a supervisor's run directly as a team (outside a graph). */
export function workerContext(reports: Report[], overrides: Partial<WorkerContext> = {}): WorkerContext {
  return {
    signal: new AbortController().signal,
    scheduler: asyncScheduler,
    model: undefined,
    supervisor: 'platform',
    worker: 'team',
    turn: 1,
    nodeId: 'n',
    runId: 'r',
    attempt: 1,
    context: undefined,
    emit: (report) => reports.push(report),
    ...overrides,
  };
}
