import type { SchedulerLike, Subscription } from 'rxjs';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { Tool, ToolContext, ToolResultContent } from '../agents/tool.js';
import { McpError } from './errors.js';
import { jsonSchemaCheck } from './input-check.js';
import { resultContent, resultText, type McpCallResult } from './result.js';
import type { McpSdk } from './sdk.js';
import { MAX_TIMER_MS } from '../../operators/long-timer.js';

/** Where the server is: a process to start, or a streamable HTTP endpoint. @internal */
export type McpTarget =
  | { readonly kind: 'stdio'; readonly command: string; readonly args: readonly string[]; readonly env: Record<string, string> | undefined; readonly cwd: string | undefined; readonly stderr: 'capture' | 'inherit' | 'ignore' }
  | { readonly kind: 'http'; readonly url: URL; readonly headers: Record<string, string> | undefined };

/** Everything a connection needs, resolved from `mcpTools` options. @internal */
export interface SessionSettings {
  readonly sdk: McpSdk;
  readonly server: string;
  readonly target: McpTarget;
  readonly include: readonly string[] | undefined;
  readonly prefix: string;
  readonly timeout: number | false;
  readonly concurrency: number | undefined;
  readonly approve: ((tool: string, input: Record<string, unknown>, ctx: ToolContext) => boolean | string | PromiseLike<boolean | string>) | undefined;
  readonly connectTimeout: number;
}

/** The MCP tool as listed by the server (the fields read here). */
interface ListedTool {
  readonly name: string;
  readonly title?: string;
  readonly description?: string;
  readonly inputSchema: Record<string, unknown>;
  readonly annotations?: { readonly title?: string };
}

/** How long a liveness probe of an HTTP server waits for its answer. */
const PROBE_TIMEOUT_MS = 5_000;
/** The stderr kept from a stdio server, for error messages. */
const STDERR_TAIL_CHARS = 2_000;
const INVALID_NAME_CHARS = /[^a-zA-Z0-9_-]/g;
/** JSON-RPC / MCP error codes the SDK uses. */
const CONNECTION_CLOSED = -32000;
const REQUEST_TIMEOUT = -32001;
const INVALID_PARAMS = -32602;

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'ETIMEDOUT', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

/** A fetch that never reached the server or lost it (undici's `TypeError: fetch failed` with a socket cause). */
function networkFailure(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  if (code !== undefined && NETWORK_CODES.has(code)) return code;
  if (error.name === 'TypeError' && /fetch failed/i.test(error.message)) return typeof cause?.message === 'string' ? cause.message : error.message;
  return undefined;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
const codeOf = (error: unknown) => (error as { code?: unknown })?.code;

/**
 * One connection to an MCP server: the client, its transport, the tools it listed, and who holds it.
 * Opened when made; closed when its last user leaves (after the grace), by {@link McpSession.close},
 * or by the server going away. A closed session stays closed: its pending and later calls fail with
 * `SERVER_CLOSED`, and the toolset opens a new session for the next user.
 * @internal
 */
export class McpSession {
  /** The tools, once the handshake and the listing are done; rejects with `CONNECT_FAILED`. */
  readonly ready: Promise<readonly Tool[]>;
  readonly #settings: SessionSettings;
  readonly #client: Client;
  readonly #transport: Transport;
  #users = 0;
  #grace: Subscription | undefined;
  /** Why it closed, once it has. */
  #closedBecause: string | undefined;
  #closing: Promise<void> | undefined;
  #stderr = '';
  #probing = false;

  constructor(settings: SessionSettings) {
    this.#settings = settings;
    const { sdk, target } = settings;
    this.#client = new sdk.Client({ name: 'rx-orchestra', version: '1' }, { capabilities: {} });
    this.#transport = target.kind === 'stdio' ? this.#stdio(target) : new sdk.StreamableHTTPClientTransport(target.url, { requestInit: { headers: target.headers } });
    // Called by the SDK before it fails the pending requests, so those read the reason.
    this.#client.onclose = () => this.#markClosed(this.#closedBecause ?? (target.kind === 'stdio' ? `the server process exited${this.#stderrTail()}` : 'the connection to the server closed'));
    this.#client.onerror = (error) => {
      if (target.kind === 'http' && /SSE stream disconnected|reconnect/i.test(messageOf(error))) void this.#probe();
    };
    this.ready = this.#open();
    this.ready.catch(() => undefined); // the toolset hands this rejection to its callers
  }

  /** Whether it is closed (or closing): a new user needs a new session. */
  get closed(): boolean {
    return this.#closedBecause !== undefined;
  }

  /** Users holding it now. */
  get users(): number {
    return this.#users;
  }

  /** A user takes it: a pending close for want of users is called off. */
  acquire(): void {
    this.#users += 1;
    this.#grace?.unsubscribe();
    this.#grace = undefined;
  }

  /** A user leaves it; with none left it closes after `keepAlive` ms on `scheduler`, unless taken again. */
  release(scheduler: SchedulerLike, keepAlive: number): void {
    this.#users -= 1;
    if (this.#users > 0 || this.closed) return;
    this.#grace?.unsubscribe();
    this.#grace = scheduler.schedule(() => void this.close('it was closed once no agent was using it'), keepAlive);
  }

  /** Closes it now; pending calls fail with `SERVER_CLOSED` giving `reason`. Resolves once the server is gone. */
  close(reason: string): Promise<void> {
    this.#markClosed(reason);
    this.#closing ??= this.#client.close().catch(() => undefined);
    return this.#closing;
  }

  #markClosed(reason: string): void {
    this.#closedBecause ??= reason;
    this.#grace?.unsubscribe();
    this.#grace = undefined;
  }

  #stdio(target: Extract<McpTarget, { kind: 'stdio' }>): Transport {
    const transport = new this.#settings.sdk.StdioClientTransport({
      command: target.command,
      args: [...target.args],
      env: target.env,
      cwd: target.cwd,
      stderr: target.stderr === 'capture' ? 'pipe' : target.stderr,
    });
    transport.stderr?.on('data', (chunk: Buffer | string) => {
      this.#stderr = (this.#stderr + chunk.toString()).slice(-STDERR_TAIL_CHARS);
    });
    return transport;
  }

  /** The last lines the server wrote to stderr, for a message; empty when there are none. */
  #stderrTail(): string {
    const lines = this.#stderr.trim().split('\n').slice(-3).join(' | ').slice(-500);
    return lines === '' ? '' : ` (its stderr ended with: ${lines})`;
  }

  async #open(): Promise<readonly Tool[]> {
    const { server, connectTimeout, target } = this.#settings;
    const where = target.kind === 'stdio' ? `could not start '${target.command}'` : `could not connect to ${target.url.origin}${target.url.pathname}`;
    let listed: ListedTool[];
    try {
      await this.#client.connect(this.#transport, { timeout: connectTimeout });
      listed = [];
      let cursor: string | undefined;
      do {
        const page = await this.#client.listTools(cursor === undefined ? {} : { cursor }, { timeout: connectTimeout });
        listed.push(...(page.tools as ListedTool[]));
        cursor = page.nextCursor;
      } while (cursor !== undefined);
    } catch (error) {
      const reason = this.#closedBecause ?? `${messageOf(error)}${this.#stderrTail()}`;
      void this.close(reason);
      throw new McpError('CONNECT_FAILED', server, `${where}: ${reason}`, { cause: error });
    }
    if (this.closed) throw new McpError('CONNECT_FAILED', server, `${where}: ${this.#closedBecause}`);
    try {
      return this.#toTools(listed);
    } catch (error) {
      void this.close(messageOf(error));
      throw error;
    }
  }

  /** The listed tools (those of `include`, if given) as `Tool`s the model can call. */
  #toTools(listed: readonly ListedTool[]): readonly Tool[] {
    const { server, include, prefix } = this.#settings;
    let chosen = listed;
    if (include !== undefined) {
      const names = new Set(listed.map((t) => t.name));
      const missing = include.filter((name) => !names.has(name));
      if (missing.length > 0) {
        throw new McpError('TOOL_NOT_FOUND', server, `has no tool ${missing.map((n) => `'${n}'`).join(', ')} (it has: ${[...names].join(', ') || 'none'})`, { tool: missing[0] });
      }
      chosen = listed.filter((t) => include.includes(t.name));
    }
    const byName = new Map<string, string>();
    return chosen.map((listedTool) => {
      const name = `${prefix}${listedTool.name}`.replace(INVALID_NAME_CHARS, '_').slice(0, 64);
      const clash = byName.get(name);
      if (clash !== undefined) {
        throw new McpError('TOOL_NAME_CLASH', server, `tools '${clash}' and '${listedTool.name}' both become '${name}' for the model; pass 'include' to choose one`, { tool: listedTool.name });
      }
      byName.set(name, listedTool.name);
      return this.#toTool(name, listedTool);
    });
  }

  // Typed `Tool<unknown>` like any tool in a list: `check` guarantees `run` and `approve` get an object.
  #toTool(name: string, listed: ListedTool): Tool<unknown, ToolResultContent> {
    const { sdk, server, timeout, concurrency, approve } = this.#settings;
    const { $schema: _dialect, ...inputSchema } = listed.inputSchema;
    const description = listed.description ?? listed.title ?? listed.annotations?.title ?? '';
    return {
      name,
      description: description.trim() === '' ? `The tool '${listed.name}' of the MCP server '${server}'.` : description,
      inputSchema,
      check: jsonSchemaCheck(sdk, listed.inputSchema),
      run: (input, ctx) => this.#call(listed.name, input as Record<string, unknown>, ctx.signal),
      timeout,
      retry: 0, // an McpError is not retryable, and a call may not be idempotent
      concurrency,
      approve: approve === undefined ? undefined : (input, ctx) => approve(listed.name, input as Record<string, unknown>, ctx),
      format: (value) => value,
    };
  }

  /** Calls the MCP tool `tool`; its result as the model reads it, or an {@link McpError}. */
  async #call(tool: string, input: Record<string, unknown>, signal: AbortSignal): Promise<ToolResultContent> {
    const { server, timeout } = this.#settings;
    signal.throwIfAborted();
    if (this.closed) throw new McpError('SERVER_CLOSED', server, `cannot call tool '${tool}': ${this.#closedBecause}`, { tool });
    let result: McpCallResult;
    try {
      // The SDK's own deadline is a backstop a little after the agent's, which aborts `signal` first.
      const deadline = timeout === false ? MAX_TIMER_MS : Math.min(timeout + 1_000, MAX_TIMER_MS);
      result = (await this.#client.callTool({ name: tool, arguments: input }, undefined, { signal, timeout: deadline })) as McpCallResult;
    } catch (error) {
      if (signal.aborted) throw signal.reason; // cancelled or timed out by the caller: its reason, as is
      throw this.#callError(tool, error);
    }
    if (result.isError === true) {
      const text = resultText(result);
      const code = text === `Tool ${tool} not found` ? 'TOOL_NOT_FOUND' : 'TOOL_ERROR';
      throw new McpError(code, server, `tool '${tool}' failed: ${text}`, { tool });
    }
    return resultContent(result);
  }

  #callError(tool: string, error: unknown): McpError {
    const { server } = this.#settings;
    const network = networkFailure(error);
    if (network !== undefined) void this.close(`the server is unreachable (${network})`);
    if (this.closed || codeOf(error) === CONNECTION_CLOSED) {
      return new McpError('SERVER_CLOSED', server, `tool '${tool}' failed: the connection closed: ${this.#closedBecause ?? messageOf(error)}`, { tool, cause: error });
    }
    if (codeOf(error) === INVALID_PARAMS && /not found/i.test(messageOf(error))) return new McpError('TOOL_NOT_FOUND', server, `has no tool '${tool}' any more: ${messageOf(error)}`, { tool, cause: error });
    const what = codeOf(error) === REQUEST_TIMEOUT ? 'did not answer in time' : messageOf(error);
    return new McpError('CALL_FAILED', server, `tool '${tool}' failed: ${what}`, { tool, cause: error });
  }

  /** After an HTTP stream broke: a ping tells a server that went away (closed now) from a blip. */
  async #probe(): Promise<void> {
    if (this.#probing || this.closed) return;
    this.#probing = true;
    try {
      await this.#client.ping({ timeout: PROBE_TIMEOUT_MS });
    } catch (error) {
      if (!this.closed) void this.close(`the connection to the server was lost (${networkFailure(error) ?? messageOf(error)})`);
    } finally {
      this.#probing = false;
    }
  }
}
