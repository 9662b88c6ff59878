import { defer, finalize, forkJoin, from, map, mergeMap, take, throwIfEmpty, type Observable } from 'rxjs';
import type { NodeContext } from '../graph/node-spec.js';
import type { ToolDefinition } from '../models/model.js';
import { OptionsError } from '../errors/options-error.js';
import { AttemptAbortError } from '../../operators/attempt.js';
import { AgentNodeError } from './errors.js';
import { isToolSource, type ToolSource } from './tool.js';
import type { AnyTool } from './tool-runner.js';

/** An agent's `tools` split: the plain tools by name (known when `agent()` is called) and the sources (known per run). @internal */
export interface AgentTools {
  readonly plain: ReadonlyMap<string, AnyTool>;
  readonly sources: readonly ToolSource[];
}

function isTool(value: unknown): value is AnyTool {
  const tool = value as AnyTool | null;
  return typeof tool === 'object' && tool !== null && typeof tool.name === 'string' && typeof tool.run === 'function' && typeof tool.check === 'function';
}

/**
 * Splits and checks `agent({ tools })`: plain tools by name (two of one name are refused), tool
 * sources in order (one listed twice is refused: its tools would clash with themselves).
 * @throws {OptionsError} naming the entry (`tools.<i>`)
 * @internal
 */
export function agentTools(tools: readonly unknown[]): AgentTools {
  const plain = new Map<string, AnyTool>();
  const sources: ToolSource[] = [];
  for (const [i, entry] of tools.entries()) {
    if (isToolSource(entry)) {
      const twice = sources.indexOf(entry);
      if (twice >= 0) throw new OptionsError(`tools.${i}`, `agent: 'tools[${i}]' is the tool source '${entry.name}' again: list each source once`);
      sources.push(entry);
      continue;
    }
    if (!isTool(entry)) {
      throw new OptionsError(`tools.${i}`, `agent: 'tools[${i}]' is not a tool (make one with tool({ name, description, input, run })) nor a tool source (mcpTools(...))`);
    }
    if (plain.has(entry.name)) throw new OptionsError(`tools.${i}`, `agent: two tools are named '${entry.name}': the model could not tell them apart`);
    plain.set(entry.name, entry);
  }
  return { plain, sources };
}

/** The definitions the model reads (name, description, input schema) of a set of tools. @internal */
export function definitionsOf(tools: Iterable<AnyTool>): ToolDefinition[] {
  return [...tools].map(({ name, description, inputSchema }) => ({ name, description, inputSchema }));
}

/** The lease's abort reason when the node run ends: the sources read it as "this user is done". */
const leaseEnded = () => new AttemptAbortError('the agent node run ended: its tool sources are released');

/**
 * One node run's tools: the plain ones, plus what each source answers to `tools()` (called once per
 * source, all at once, with `signal: lease.signal` and the run's scheduler), merged by name. Emits the
 * merged tools once, then whatever `use(tools)` emits; aborts the lease when that ends (completes,
 * errors or is unsubscribed), which releases every source this run took. A source whose `tools()`
 * throws, rejects or errors fails the run with that error, as it is; one that answers no list or a
 * non-tool fails it with `TOOL_SOURCE_INVALID`, and a name found twice with `TOOL_NAME_CLASH`
 * naming both tools' origins. Without sources, `use` runs at once with the plain tools.
 * @internal
 */
export function withSourceTools<T>(split: AgentTools, ctx: Pick<NodeContext<unknown>, 'nodeId' | 'scheduler'>, use: (tools: ReadonlyMap<string, AnyTool>) => Observable<T>): Observable<T> {
  const { plain, sources } = split;
  if (sources.length === 0) return use(plain);
  return defer(() => {
    const lease = new AbortController();
    const acquired = sources.map((source) =>
      defer(() => from(source.tools({ signal: lease.signal, scheduler: ctx.scheduler }))).pipe(
        take(1),
        throwIfEmpty(() => new AgentNodeError('TOOL_SOURCE_INVALID', ctx.nodeId, `the tool source '${source.name}' completed without answering its tools`)),
      ),
    );
    return forkJoin(acquired).pipe(
      map((lists) => merge(plain, sources, lists, ctx.nodeId)),
      mergeMap(use),
      finalize(() => lease.abort(leaseEnded())),
    );
  });
}

/** Plain tools first, then each source's in order; a name seen twice fails, naming both origins. */
function merge(plain: ReadonlyMap<string, AnyTool>, sources: readonly ToolSource[], lists: readonly (readonly unknown[])[], nodeId: string): Map<string, AnyTool> {
  const merged = new Map(plain);
  const origin = new Map<string, string>();
  for (const name of plain.keys()) origin.set(name, `the tool '${name}' of agent({ tools })`);
  sources.forEach((source, s) => {
    const list = lists[s];
    if (!Array.isArray(list)) throw new AgentNodeError('TOOL_SOURCE_INVALID', nodeId, `the tool source '${source.name}' answered ${describe(list)}, not a list of tools`);
    list.forEach((tool: unknown, t) => {
      if (!isTool(tool)) throw new AgentNodeError('TOOL_SOURCE_INVALID', nodeId, `the tool source '${source.name}' answered ${describe(tool)} as its tool #${t + 1}, not a tool`);
      const here = `the tool '${tool.name}' of the tool source '${source.name}'`;
      const first = origin.get(tool.name);
      if (first !== undefined) {
        throw new AgentNodeError('TOOL_NAME_CLASH', nodeId, `two tools are named '${tool.name}': ${first} and ${here}; the model could not tell them apart (rename one, e.g. mcpTools({ prefix: true }))`, {
          tool: tool.name,
        });
      }
      origin.set(tool.name, here);
      merged.set(tool.name, tool);
    });
  });
  return merged;
}

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}
