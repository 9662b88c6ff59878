import type { NodeOutcome } from '../run/outcome.js';
import type { ErrorInfo } from '../run/events.js';
import { describeSkip, hasValue } from '../run/outcome.js';
import type { NodeCheckpoint, RunCheckpoint, RunHeader, RunStore, WaitingCheckpoint } from '../store/run-store.js';
import { CliError, EXIT_CODES } from './errors.js';
import { formatCost, formatCount, formatError, formatSeconds, plural, truncate } from './format.js';
import { payloadPreview } from './live-groups.js';
import { parentFromId } from '../run/run-state.js';
import { STATE_STYLE } from './live-render.js';
import { valuePreview } from './node-outputs.js';
import type { TextOutput } from './output.js';
import { openCliStore, storeFailure, storeLocation } from './store-location.js';

/**
 * The settings of `rx-orchestra inspect`, parsed from the command line.
 *
 * ## Example
 * ```ts
 * import type { InspectCommandOptions } from './inspect-command.js';
 * const options: InspectCommandOptions = { store: '.rx-orchestra/runs.db', runId: 'weekly-1', json: false };
 * ```
 */
export interface InspectCommandOptions {
  /** A SQLite file or a `redis://` URL. */
  store: string;
  /** The run to show; without it the store's runs are listed (when the store can list them). */
  runId?: string;
  /** One JSON object on stdout instead of text. */
  json: boolean;
}

/**
 * One node of a {@link RunInspection}.
 *
 * ## Example
 * ```ts
 * import type { InspectedNode } from './inspect-command.js';
 * const rerun = (n: InspectedNode) => !n.restored;
 * ```
 */
export interface InspectedNode {
  id: string;
  /** The checkpointed outcome's status, `waiting` (for a decision), or `none` (no outcome checkpointed). */
  status: NodeOutcome['status'] | 'waiting' | 'none';
  /** True when resume restores it (its outcome has a value) instead of running it again. */
  restored: boolean;
  /** For a node a fan-out or subgraph added: that node. */
  parent?: string;
  attempts?: number;
  durationMs?: number;
  value?: unknown;
  error?: ErrorInfo;
  skipped?: string;
  usage?: NodeCheckpoint['usage'];
}

/**
 * What `inspect` finds out about a durable run, also its `--json` output: the header, every node
 * with its checkpointed outcome (the graph's nodes from the checkpoint's fingerprint, in dependency
 * order, and the nodes fan-outs added), what `resume` would run again (`wouldRun`: no outcome, or
 * one without a value: failed, timed out, skipped) and the nodes waiting for a decision.
 *
 * ## Example
 * ```ts
 * import type { RunInspection } from './inspect-command.js';
 * const inspection: RunInspection = JSON.parse(stdout);
 * inspection.wouldRun; // ['gate', 'send']
 * ```
 */
export interface RunInspection {
  runId: string;
  status: RunHeader['status'];
  createdAt: number;
  updatedAt: number;
  fingerprint: { hash: string; version?: string; nodes: number };
  nodes: InspectedNode[];
  wouldRun: string[];
  restored: string[];
  waiting: WaitingCheckpoint[];
  spent: { calls: number; inputTokens: number; outputTokens: number; costUsd: number };
}

/**
 * `rx-orchestra inspect <store> [<runId>] [--json]`: the state of a durable run from its store (see
 * {@link inspectRun}), as text or JSON. Without a run id, lists the store's runs when the store
 * can (`listRuns`), else says where run ids are found. Resolves with the exit code.
 *
 * ## Example
 * ```ts
 * import { inspectCommand } from './inspect-command.js';
 * const code = await inspectCommand({ store: 'runs.db', runId: 'weekly-1', json: false }, { stdout: process.stdout, cwd: process.cwd(), env: process.env });
 * ```
 * @throws {CliError} `STORE_NOT_FOUND`, `STORE_FAILED`, `RUN_NOT_FOUND`, `USAGE`
 */
export async function inspectCommand(command: InspectCommandOptions, io: { stdout: TextOutput; cwd: string; env: Readonly<Record<string, string | undefined>> }): Promise<number> {
  const where = storeLocation(command.store, io);
  const store = await openCliStore(where, { mustExist: true });
  try {
    if (command.runId === undefined) return await listRuns(store, where.shown, command, io.stdout);
    let saved: RunCheckpoint | undefined;
    try {
      saved = await store.loadRun(command.runId);
    } catch (error) {
      throw storeFailure(where.shown, error);
    }
    if (!saved) throw new CliError('RUN_NOT_FOUND', `no run '${command.runId}' in the store '${where.shown}'${await knownIds(store)}`);
    const inspection = inspectRun(saved);
    io.stdout.write(command.json ? `${JSON.stringify(inspection)}\n` : `${formatInspection(inspection, where.shown).join('\n')}\n`);
    return EXIT_CODES.ok;
  } finally {
    await Promise.resolve(store.close()).catch(() => undefined);
  }
}

/** A store that can list its runs (a `listRuns()` the store API may grow). */
type ListingStore = RunStore & { listRuns(): Promise<readonly RunHeader[]> | readonly RunHeader[] };
const canList = (store: RunStore): store is ListingStore => typeof (store as Partial<ListingStore>).listRuns === 'function';

async function listRuns(store: RunStore, shown: string, command: InspectCommandOptions, out: TextOutput): Promise<number> {
  if (!canList(store)) {
    throw new CliError(
      'USAGE',
      `inspect needs a run id: rx-orchestra inspect ${shown} <runId> (this store cannot list its runs; a run's id is printed when it starts, '▶ run <id> started', is in its --runs-log, and is chosen with --run-id)`,
    );
  }
  const runs = [...(await store.listRuns())].sort((a, b) => b.updatedAt - a.updatedAt);
  if (command.json) out.write(`${JSON.stringify({ runs: runs.map(({ runId, status, createdAt, updatedAt }) => ({ runId, status, createdAt, updatedAt })) })}\n`);
  else if (runs.length === 0) out.write(`no runs in the store '${shown}'\n`);
  else out.write(`${[`${plural(runs.length, 'run')} in the store '${shown}' (last written first):`, ...runs.map((r) => `  ${r.runId}  ${r.status}  last written ${formatTime(r.updatedAt)}`)].join('\n')}\n`);
  return EXIT_CODES.ok;
}

async function knownIds(store: RunStore): Promise<string> {
  if (!canList(store)) return '';
  const runs = await Promise.resolve(store.listRuns()).catch(() => []);
  return runs.length === 0 ? ' (it holds no runs)' : `; it holds ${runs.slice(0, 5).map((r) => `'${r.runId}'`).join(', ')}${runs.length > 5 ? ` and ${formatCount(runs.length - 5)} more` : ''}`;
}

/**
 * Works out what a checkpoint says about its run: each node's outcome, what resume would run
 * again, what it would restore, the waiting approvals and the spend so far. Pure.
 *
 * ## Example
 * ```ts
 * import { inspectRun } from './inspect-command.js';
 * const { wouldRun, waiting } = inspectRun(await store.loadRun('weekly-1'));
 * ```
 */
export function inspectRun(saved: RunCheckpoint): RunInspection {
  const graphIds = dependencyOrder(saved.fingerprint.nodes);
  const known = new Set([...graphIds, ...Object.keys(saved.nodes), ...Object.keys(saved.waiting ?? {})]);
  const isNode = (id: string) => known.has(id);
  // Added nodes (fan-out children) go under the node that added them.
  const children = new Map<string, string[]>();
  const orphans: string[] = [];
  for (const id of known) {
    if (graphIds.includes(id)) continue;
    const parent = parentFromId(id, isNode);
    if (parent === undefined) orphans.push(id);
    else children.set(parent, [...(children.get(parent) ?? []), id]);
  }
  const ordered: { id: string; parent?: string }[] = [];
  const visit = (id: string, parent?: string) => {
    ordered.push(parent === undefined ? { id } : { id, parent });
    for (const child of children.get(id) ?? []) visit(child, id);
  };
  for (const id of [...graphIds, ...orphans]) visit(id);

  const nodes = ordered.map(({ id, parent }) => inspectNode(id, parent, saved.nodes[id], saved.waiting?.[id]));
  const spent = { calls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 };
  for (const node of Object.values(saved.nodes)) {
    spent.calls += node.usage.calls;
    spent.inputTokens += node.usage.inputTokens;
    spent.outputTokens += node.usage.outputTokens;
    spent.costUsd += node.usage.costUsd;
  }
  return {
    runId: saved.runId,
    status: saved.status,
    createdAt: saved.createdAt,
    updatedAt: saved.updatedAt,
    fingerprint: { hash: saved.fingerprint.hash, nodes: saved.fingerprint.nodes.length, ...(saved.fingerprint.version !== undefined ? { version: saved.fingerprint.version } : {}) },
    nodes,
    // Added nodes without an outcome are not listed: their parent runs again and adds them anew.
    wouldRun: nodes.filter((n) => !n.restored && (n.parent === undefined || n.status !== 'none')).map((n) => n.id),
    restored: nodes.filter((n) => n.restored).map((n) => n.id),
    waiting: Object.values(saved.waiting ?? {}),
    spent,
  };
}

function inspectNode(id: string, parent: string | undefined, saved: NodeCheckpoint | undefined, waiting: WaitingCheckpoint | undefined): InspectedNode {
  const node: InspectedNode = { id, status: 'none', restored: false, ...(parent !== undefined ? { parent } : {}) };
  if (!saved) {
    if (waiting) node.status = 'waiting';
    return node;
  }
  const outcome = saved.outcome;
  node.status = outcome.status;
  node.restored = hasValue(outcome);
  if (outcome.status !== 'skipped') {
    node.attempts = outcome.attempts;
    node.durationMs = outcome.durationMs;
  }
  if (hasValue(outcome)) node.value = outcome.value;
  if ('error' in outcome) node.error = outcome.error;
  if (outcome.status === 'skipped') node.skipped = describeSkip(outcome.cause);
  if (saved.usage.calls > 0) node.usage = saved.usage;
  return node;
}

/** Ids in dependency order (a node after its deps; ties by id, as the fingerprint sorts them). */
function dependencyOrder(nodes: readonly { id: string; deps: readonly string[] }[]): string[] {
  const ids = new Set(nodes.map((n) => n.id));
  const remaining = new Map(nodes.map((n) => [n.id, n.deps.filter((d) => ids.has(d)).length]));
  const dependents = new Map<string, string[]>();
  for (const n of nodes) for (const d of n.deps) dependents.set(d, [...(dependents.get(d) ?? []), n.id]);
  const ready = nodes.filter((n) => remaining.get(n.id) === 0).map((n) => n.id);
  const order: string[] = [];
  while (ready.length > 0) {
    ready.sort();
    const id = ready.shift()!;
    order.push(id);
    for (const d of dependents.get(id) ?? []) {
      const left = remaining.get(d)! - 1;
      remaining.set(d, left);
      if (left === 0) ready.push(d);
    }
  }
  for (const n of nodes) if (!order.includes(n.id)) order.push(n.id); // a cycle cannot be checkpointed, but never drop a node
  return order;
}

const STATUS_TEXT: Record<InspectedNode['status'], { icon: string; label: string }> = {
  succeeded: STATE_STYLE.succeeded,
  fellBack: STATE_STYLE.fellBack,
  failed: STATE_STYLE.failed,
  timedOut: STATE_STYLE.timedOut,
  skipped: STATE_STYLE.skipped,
  waiting: STATE_STYLE.waiting,
  none: { icon: '○', label: 'no outcome' },
};

const RUN_STATUS_TEXT: Record<string, string> = {
  running: 'not finished: killed, stopped, or still running (resume continues it)',
  succeeded: 'succeeded',
  partial: 'ended partial (resume runs the nodes without a value again)',
  failed: 'failed (resume runs the nodes without a value again)',
};

/**
 * An inspection as text lines: the header, a line per node (state, attempts, time, tokens and
 * cost, then its value, error or skip cause on the same line), the nodes waiting for approval with
 * their payloads, and what resume would run, with the command that does it. Pure.
 *
 * ## Example
 * ```ts
 * import { formatInspection, inspectRun } from './inspect-command.js';
 * console.log(formatInspection(inspectRun(saved), 'runs.db').join('\n'));
 * ```
 */
export function formatInspection(inspection: RunInspection, store: string, width = 120): string[] {
  const { nodes, waiting, wouldRun, restored, spent } = inspection;
  const version = inspection.fingerprint.version !== undefined ? `, version ${inspection.fingerprint.version}` : '';
  const lines = [
    `run ${inspection.runId} in ${store}: ${RUN_STATUS_TEXT[inspection.status] ?? inspection.status}`,
    `  created ${formatTime(inspection.createdAt)}, last written ${formatTime(inspection.updatedAt)}; graph of ${plural(inspection.fingerprint.nodes, 'node')} (fingerprint ${inspection.fingerprint.hash.slice(0, 12)}${version})`,
    `  spent so far: ${plural(spent.calls, 'model call')}, ${formatCount(spent.inputTokens + spent.outputTokens)} tok, ${formatCost(spent.costUsd)}`,
    '',
    `nodes (${formatCount(nodes.length)}):`,
  ];
  const idWidth = Math.min(32, nodes.reduce((w, n) => Math.max(w, n.id.length + (n.parent === undefined ? 0 : 2)), 4));
  const rows = nodes.map((node) => {
    const { icon, label } = STATUS_TEXT[node.status];
    return {
      head: `${icon} ${truncate(`${node.parent === undefined ? '' : '  '}${node.id}`, idWidth).padEnd(idWidth)}`,
      label,
      attempts: node.attempts ? plural(node.attempts, 'attempt') : '', // a fan-out's own outcome has 0: its children made the attempts
      time: node.durationMs === undefined ? '' : formatSeconds(node.durationMs),
      spend: node.usage ? `${formatCount(node.usage.inputTokens + node.usage.outputTokens)} tok ${formatCost(node.usage.costUsd)}` : '',
      detail: node.error ? formatError(node.error) : node.skipped !== undefined ? node.skipped : 'value' in node ? valuePreview(node.value, width) : '',
    };
  });
  const widest = (key: 'label' | 'attempts' | 'time' | 'spend') => rows.reduce((w, row) => Math.max(w, row[key].length), 0);
  const [labelWidth, attemptsWidth, timeWidth, spendWidth] = [widest('label'), widest('attempts'), widest('time'), widest('spend')];
  for (const row of rows) {
    const cells = [row.head, row.label.padEnd(labelWidth)]; // a column no node has a value in is left out
    if (attemptsWidth > 0) cells.push(row.attempts.padEnd(attemptsWidth));
    if (timeWidth > 0) cells.push(row.time.padStart(timeWidth));
    if (spendWidth > 0) cells.push(row.spend.padEnd(spendWidth));
    cells.push(row.detail);
    lines.push(truncate(`  ${cells.join('  ')}`.trimEnd(), width));
  }
  if (waiting.length > 0) {
    lines.push('', `waiting for approval (${formatCount(waiting.length)}):`);
    for (const w of waiting) {
      lines.push(`  ⏸ ${w.nodeId}  since ${formatTime(w.since)}, ${w.timeoutMs === null ? 'no time limit' : `gives up after ${formatSeconds(w.timeoutMs)}`}`);
      lines.push(`    payload: ${payloadPreview(w.payload, Math.max(40, width - 13))}`);
    }
  }
  lines.push('');
  if (wouldRun.length === 0) lines.push(`resume would run nothing: every node has a value (${plural(restored.length, 'node')} restored)`);
  else {
    lines.push(`resume would run ${plural(wouldRun.length, 'node')}: ${listIds(wouldRun)}; and restore ${plural(restored.length, 'node')} with a value`);
    const decide = waiting.length === 0 ? '' : ` ${waiting.map((w) => `--approve ${w.nodeId}`).join(' ')} (or --reject …; else it asks again)`;
    lines.push(`  rx-orchestra resume <pipeline-file> ${inspection.runId} --store ${store}${decide}`);
  }
  return lines;
}

function listIds(ids: readonly string[]): string {
  return `${ids.slice(0, 10).join(', ')}${ids.length > 10 ? ` and ${formatCount(ids.length - 10)} more` : ''}`;
}

/** A store time (ms since the epoch, as the default scheduler writes) as local `YYYY-MM-DD HH:MM:SS`; other clocks as ms. */
function formatTime(ms: number): string {
  if (!(ms > 1e11)) return `${formatCount(ms)} ms`; // a virtual clock, not the epoch
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}
