import { map, type Observable, type ObservableInput, type SchedulerLike } from 'rxjs';
import type { Decision } from '../graph/dynamic-spec.js';
import { z } from 'zod';
import type { ContentBlock } from '../models/model.js';
import { OptionsError } from '../errors/options-error.js';
import { issuesOf } from '../nodes/structured-output.js';
import { MAX_TIMER_MS } from '../../operators/long-timer.js';

/** What a tool's `run` receives besides its input. */
export interface ToolContext<C = unknown> {
  /** Aborts when the call is cancelled: its timeout, the node's timeout or cancellation, the run failing. */
  readonly signal: AbortSignal;
  /** The run's scheduler: use it for any timing in the tool so tests run in virtual time. */
  readonly scheduler: SchedulerLike;
  /** The run's user context (`execute(g, { context })`). */
  readonly context: C;
  readonly runId: string;
  /** The agent node calling the tool. */
  readonly nodeId: string;
  /** The model's id for this call (`tool_use.id`). */
  readonly toolUseId: string;
  /** The agent step (model call) that asked for it, from 1. */
  readonly step: number;
  /** Asks a person on the run's stream (see `NodeContext.waitForApproval`); absent outside a run. */
  readonly waitForApproval?: (payload: unknown, options?: { readonly timeout?: number | false }) => Observable<Decision>;
}

/** A tool's approval check: `true` runs the call; `false` or a string (the reason the model reads) refuses it. */
export type ToolApproval<I, C> = (input: I, ctx: ToolContext<C>) => boolean | string | PromiseLike<boolean | string> | Observable<boolean | string>;

/** A tool's input checked against its schema: the typed value, or the issues to send back to the model. */
export type ToolInputCheck<I> = { ok: true; value: I } | { ok: false; issues: string[] };

/** What a tool answers, as the model will read it: text, or text and image blocks. */
export type ToolResultContent = string | readonly Extract<ContentBlock, { type: 'text' | 'image' }>[];

/**
 * A tool an agent can call: a name and description the model reads, its input's JSON Schema, a check of
 * the model's input, and `run`. Made by {@link tool} (zod input) or by `mcpTools` (an MCP server's tools).
 */
export interface Tool<I = unknown, R = unknown, C = unknown> {
  readonly name: string;
  readonly description: string;
  /** The input's JSON Schema, sent to the model as the tool's `input_schema`. */
  readonly inputSchema: Record<string, unknown>;
  /** Checks and types the model's input. */
  check(input: unknown): ToolInputCheck<I>;
  run(input: I, ctx: ToolContext<C>): ObservableInput<R>;
  /** One call's deadline in ms, or `false`. @default 30_000 */
  readonly timeout: number | false;
  /** Retries of a failed call (errors with `retryable: false` are not retried). @default 0 */
  readonly retry: number;
  /** Calls of this tool in flight at once, across every agent that uses this tool object. @default unbounded */
  readonly concurrency: number | undefined;
  /**
   * Asked before each call with the validated input: `true` runs it; `false` or a string refuses it, and
   * the model is told so (the string is the reason it reads). @default every call approved
   */
  readonly approve: ToolApproval<I, C> | undefined;
  /** Turns the tool's value into what the model reads. @default strings as they are, other values as JSON */
  format(value: R): ToolResultContent;
}

/** Settings of {@link tool}. */
export interface ToolSpec<S extends z.ZodType, R, C> {
  /** What the model calls it: letters, digits, `_` and `-`, at most 64 characters. */
  name: string;
  /** What it does and when to use it: the model reads this to decide. */
  description: string;
  /** The input's schema: the model's input is validated by it, and `run` receives it typed. */
  input: S;
  run: (input: z.output<S>, ctx: ToolContext<C>) => ObservableInput<R>;
  /** @default 30_000 */
  timeout?: number | false;
  /** @default 0 */
  retry?: number;
  /** @default unbounded */
  concurrency?: number;
  /**
   * Asked before each call with the validated input (see {@link Tool.approve}). `true` asks a person on
   * the run's stream before every call: the agent node emits `node.waiting` with `{ tool, input,
   * toolUseId }` and the call runs once `run$.decide(nodeId, { approve: true })` says so; a rejection is
   * told to the model with its reason. `{ timeout }` with it: `{ ask: true, timeout: 60_000 }`.
   * @default every call approved
   */
  approve?: ToolApproval<z.output<S>, C> | true | { readonly ask: true; readonly timeout?: number | false };
  format?: (value: R) => ToolResultContent;
}

/** A tool call's default deadline. */
export const DEFAULT_TOOL_TIMEOUT_MS = 30_000;
const NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/** Strings as they are; anything else as JSON (undefined as an empty string). */
export function formatToolValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return '';
  return JSON.stringify(value) ?? String(value);
}

/**
 * Checks the settings every tool shares (name, timeout, retry, concurrency), naming the tool and the field.
 * @internal
 */
export function checkToolSettings(spec: { name: unknown; description: unknown; timeout?: unknown; retry?: unknown; concurrency?: unknown }): void {
  const bad = (field: string, rule: string, value: unknown) =>
    new OptionsError(field, `tool '${String(spec.name)}': '${field}' must be ${rule}, got ${typeof value === 'string' ? `'${value}'` : String(value)}`);
  if (typeof spec.name !== 'string' || !NAME.test(spec.name)) throw bad('name', 'letters, digits, _ or -, 1 to 64 characters', spec.name);
  if (typeof spec.description !== 'string' || spec.description.trim() === '') throw bad('description', 'a non-empty string', spec.description);
  const { timeout, retry, concurrency } = spec;
  if (timeout !== undefined && timeout !== false && !(typeof timeout === 'number' && Number.isInteger(timeout) && timeout >= 1 && timeout <= MAX_TIMER_MS)) {
    throw bad('timeout', `an integer number of ms between 1 and ${MAX_TIMER_MS}, or false`, timeout);
  }
  if (retry !== undefined && !(typeof retry === 'number' && Number.isInteger(retry) && retry >= 0)) throw bad('retry', 'an integer >= 0', retry);
  if (concurrency !== undefined && !(typeof concurrency === 'number' && Number.isInteger(concurrency) && concurrency >= 1)) throw bad('concurrency', 'an integer >= 1', concurrency);
}

/**
 * Defines a tool for {@link agent} nodes: the model sees its name, description and input schema; the
 * input it writes is validated by the zod schema (invalid input goes back to the model as an error result
 * with the issues) and `run` receives it typed. `run` returns an Observable, a Promise or a value; its last
 * value is the result the model reads (strings as they are, other values as JSON, or `format`).
 *
 * ## Example
 * ```ts
 * import { tool } from 'rx-orchestra';
 * import { z } from 'zod';
 * const weather = tool({
 *   name: 'get_weather',
 *   description: 'Current weather for a city',
 *   input: z.object({ city: z.string() }),
 *   run: async ({ city }, { signal }) => (await fetch(`https://wttr.in/${city}?format=3`, { signal })).text(),
 *   timeout: 10_000,
 * });
 * ```
 * @throws {OptionsError} a bad name, description, timeout, retry or concurrency, naming the tool and field
 */
export function tool<S extends z.ZodType, R, C = unknown>(spec: ToolSpec<S, R, C>): Tool<z.output<S>, R, C> {
  checkToolSettings(spec);
  if (!(spec.input instanceof z.ZodType)) throw new OptionsError('input', `tool '${spec.name}': 'input' must be a zod schema`);
  if (typeof spec.run !== 'function') throw new OptionsError('run', `tool '${spec.name}': 'run' must be a function`);
  let inputSchema: Record<string, unknown>;
  try {
    const { $schema: _ignored, ...schema } = z.toJSONSchema(spec.input, { io: 'input' }) as Record<string, unknown>;
    inputSchema = schema;
  } catch (error) {
    throw new OptionsError('input', `tool '${spec.name}': its input schema cannot be expressed as JSON Schema: ${(error as Error).message}`);
  }
  if (inputSchema.type !== 'object') throw new OptionsError('input', `tool '${spec.name}': 'input' must be an object schema (z.object), got JSON Schema type ${String(inputSchema.type)}`);
  return {
    name: spec.name,
    description: spec.description,
    inputSchema,
    check: (input) => {
      const parsed = spec.input.safeParse(input);
      return parsed.success ? { ok: true, value: parsed.data as z.output<S> } : { ok: false, issues: issuesOf(parsed.error) };
    },
    run: spec.run,
    timeout: spec.timeout ?? DEFAULT_TOOL_TIMEOUT_MS,
    retry: spec.retry ?? 0,
    concurrency: spec.concurrency,
    approve: approvalOf(spec),
    format: spec.format ?? formatToolValue,
  };
}

/** A tool's approval check: the user's function, or one asking a person on the run's stream (`approve: true`). */
function approvalOf<S extends z.ZodType, R, C>(spec: ToolSpec<S, R, C>): ToolApproval<z.output<S>, C> | undefined {
  const { approve, name } = spec;
  if (approve === undefined || typeof approve === 'function') return approve;
  if (approve !== true && !(typeof approve === 'object' && approve !== null && approve.ask === true)) {
    throw new OptionsError('approve', `tool '${name}': 'approve' must be a function, true, or { ask: true, timeout? }`);
  }
  const timeout = approve === true ? false : (approve.timeout ?? false);
  return (input, ctx) => {
    if (!ctx.waitForApproval) return `the call to '${name}' needs a person's approval, and this agent does not run in a run that can ask one`;
    return ctx.waitForApproval({ tool: name, input, toolUseId: ctx.toolUseId }, { timeout }).pipe(
      map((decision) => decision.approve || (decision.reason ?? `a person rejected the call to '${name}'${decision.by ? ` (${decision.by})` : ''}`)),
    );
  };
}

/** What {@link ToolSource.tools} receives from its user (an agent node run). */
export interface ToolSourceContext {
  /**
   * The user's lease: the source stays open for this user until the signal aborts. The user aborts it
   * when it is done with the tools (its node run ended, failed or was torn down); a source that is never
   * released stays open until {@link ToolSource.close}.
   */
  readonly signal: AbortSignal;
  /** The run's scheduler: a source times its own delays (e.g. a grace before closing) with it. */
  readonly scheduler: SchedulerLike;
}

/**
 * A source of tools that opens on demand and is shared by every agent that uses it: an MCP server
 * (`mcpTools` of `rx-orchestra/mcp`), or any set of tools that needs a connection or a process. Pass it
 * in `agent({ tools })` next to plain tools.
 *
 * The contract with its users: each agent node run calls {@link ToolSource.tools} once when it starts,
 * with a `signal` it aborts when the node run ends (completes, fails or is unsubscribed), and uses the
 * tools it got until then. The source opens on the first such call, counts the users holding it, and
 * closes itself once none is left (after a short grace, so consecutive nodes reuse it). A source that
 * fails to open rejects (or errors) `tools()`, and the node run fails with that error.
 *
 * ## Example
 * ```ts
 * import { agent } from 'rx-orchestra';
 * import { mcpTools } from 'rx-orchestra/mcp';
 * const fs = mcpTools({ name: 'fs', command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem', '.'] });
 * const reader = agent({ prompt: () => 'Summarize README.md', tools: [fs] });
 * ```
 */
export interface ToolSource {
  /** Names the source in errors and events. */
  readonly name: string;
  /** Opens the source if needed and answers its tools, held for the caller until `ctx.signal` aborts. */
  tools(ctx: ToolSourceContext): Observable<readonly Tool[]> | Promise<readonly Tool[]>;
  /** Closes the source now, whoever still holds it; a later `tools()` opens it again. */
  close(): Promise<void>;
}

/** True for a {@link ToolSource} (it has `tools()` and `close()`), false for a {@link Tool}. */
export function isToolSource(value: unknown): value is ToolSource {
  return typeof value === 'object' && value !== null && typeof (value as ToolSource).tools === 'function' && typeof (value as ToolSource).close === 'function';
}
