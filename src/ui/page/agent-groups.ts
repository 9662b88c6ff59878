/**
 * The metrics table's rows: one per agent while there are few, else one per family of agents, so a
 * 2,000-node fan-out whose children have no `meta.agent` (each child its own "agent", named by its id)
 * reads as one row, `explore ×2,000`, instead of 2,000. Pure; runs in the browser and in Node.
 */
import type { AgentTally, CallTally } from '../../run/run-state.js';

/**
 * One row of the metrics table: an agent, or a family of agents summed. Its figures are a
 * {@link CallTally}'s, but `durations` holds the durations of its agents' ended executions (at most
 * {@link MAX_ROW_DURATIONS}), for p50/p95, and no count of those that left a ring.
 */
export interface AgentRow extends Omit<CallTally, 'durationCount'> {
  /** The agent's name, or the family's (`explore` for `explore[0]` … `explore[1999]`). */
  readonly name: string;
  /** Agents summed into this row (1 for a single agent). */
  members: number;
}

/** Durations kept per family row for its percentiles (the latest of each member first come, first kept). */
export const MAX_ROW_DURATIONS = 20_000;

/**
 * The family an agent belongs to: its name without a fan-out index or subgraph path (`explore[3]`,
 * `research/q7`) and without a trailing number (`worker_12`, `fetch-0042`); the name itself when
 * nothing is left.
 *
 * ```ts
 * agentFamily('explore[3]'); // 'explore'
 * agentFamily('worker_12'); // 'worker'
 * agentFamily('planner'); // 'planner'
 * ```
 */
export function agentFamily(name: string): string {
  let family = name;
  const cut = family.search(/[[/]/);
  if (cut > 0) family = family.slice(0, cut);
  family = family.replace(/[-_.:#]?\d+$/, '');
  return family === '' ? name : family;
}

/**
 * Rows for the metrics table, the busiest first: one per agent when there are at most `maxRows`
 * agents, else one per {@link agentFamily} (a family of one keeps the agent's own name). The caller
 * shows the first `maxRows` and says how many more there are.
 *
 * ```ts
 * agentRows(model.agents.values(), 40).slice(0, 40);
 * ```
 */
export function agentRows(agents: Iterable<AgentTally>, maxRows: number): AgentRow[] {
  const list = [...agents];
  const rows = new Map<string, AgentRow>();
  const grouped = list.length > maxRows;
  const firsts: string[] = []; // each row's first agent, in the rows' insertion order
  for (const agent of list) {
    const name = grouped ? agentFamily(agent.agent) : agent.agent;
    const row = rows.get(name);
    if (!row) {
      firsts.push(agent.agent);
      rows.set(name, { name, members: 1, calls: agent.calls, succeeded: agent.succeeded, failures: agent.failures, retries: agent.retries, fellBack: agent.fellBack, durations: agent.durations, inputTokens: agent.inputTokens, outputTokens: agent.outputTokens, costUsd: agent.costUsd });
      continue;
    }
    if (row.members === 1) row.durations = row.durations.slice(0, MAX_ROW_DURATIONS); // a copy: the agent's own ring is not ours to grow
    row.members += 1;
    row.calls += agent.calls;
    row.succeeded += agent.succeeded;
    row.failures += agent.failures;
    row.retries += agent.retries;
    row.fellBack += agent.fellBack;
    row.inputTokens += agent.inputTokens;
    row.outputTokens += agent.outputTokens;
    row.costUsd += agent.costUsd;
    for (let i = 0; i < agent.durations.length && row.durations.length < MAX_ROW_DURATIONS; i++) row.durations.push(agent.durations[i]!);
  }
  const out = [...rows.values()].map((row, i) => (row.members === 1 && row.name !== firsts[i] ? { ...row, name: firsts[i]! } : row));
  return out.sort((a, b) => b.calls - a.calls || a.name.localeCompare(b.name));
}
