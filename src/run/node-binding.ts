import type { NodeOutcome } from './outcome.js';

/** What a node's execution runs with besides its definition: set for children and approved nodes. @internal */
export interface NodeBinding {
  /** A fan-out child's inputs and upstream (its parent's), instead of values from its own deps. */
  inputs?: Record<string, unknown>;
  upstream?: Record<string, NodeOutcome>;
  /** A fan-out child's element and position. */
  item?: unknown;
  index?: number;
  /** A subgraph node's context (the subgraph's input), instead of the run's. */
  hasContext?: boolean;
  context?: unknown;
  /** An approved node's payload and decision. */
  approval?: { payload: unknown; value?: unknown; by?: string };
  /** A subgraph node's id prefix (`research/`): its deps and branch targets are named without it. */
  prefix?: string;
}
