import { basename } from 'node:path';
import { DEFAULT_TOOL_TIMEOUT_MS, type Tool, type ToolContext, type ToolSource, type ToolSourceContext } from '../agents/tool.js';
import { OptionsError } from '../errors/options-error.js';
import { McpSession, type McpTarget } from './session.js';
import { loadMcpSdk } from './sdk.js';
import { MAX_TIMER_MS } from '../../operators/long-timer.js';

/** Settings of {@link mcpTools} shared by both transports. */
export interface McpToolsCommonOptions {
  /**
   * The server's name, in errors (`MCP server 'fs': ...`) and, with `prefix: true`, before each tool's
   * name. @default the command and its arguments (stdio) or the URL's host and path (HTTP)
   */
  name?: string;
  /** Only these of the server's tools (their MCP names); one the server lacks fails with `TOOL_NOT_FOUND`. @default every tool */
  include?: readonly string[];
  /**
   * Put before each tool's name the model sees, to keep apart tools of several servers: `true` for
   * `<name>_`, or the string to put. Characters a tool name may not have (anything but letters, digits,
   * `_` and `-`) become `_`, and names are cut at 64 characters. @default false (the server's names)
   */
  prefix?: boolean | string;
  /** One call's deadline in ms, or `false`, for every tool of the server. @default 30_000 */
  timeout?: number | false;
  /** Calls in flight at once per tool (and per connection). @default unbounded */
  concurrency?: number;
  /**
   * Asked before each call with the MCP tool's name and the validated input: `true` runs it, `false`
   * or a string refuses it (the string is the reason the model reads). @default every call approved
   */
  approve?: (tool: string, input: Record<string, unknown>, ctx: ToolContext) => boolean | string | PromiseLike<boolean | string>;
  /** How long to wait for the server to start, complete the handshake and list its tools, in ms. @default 30_000 */
  connectTimeout?: number;
  /**
   * How long the connection stays open once no agent uses it, in ms (on the run's scheduler), so the
   * next agent node reuses it instead of starting the server again. @default 1_000
   */
  keepAlive?: number;
}

/** A server started as a child process, spoken to over its stdin and stdout. */
export interface McpStdioOptions extends McpToolsCommonOptions {
  /** The executable: `'npx'`, `'node'`, `'uvx'`, a path. */
  command: string;
  /** @default [] */
  args?: readonly string[];
  /** Variables added to the safe default environment the SDK passes (HOME, PATH, USER, ...). @default none */
  env?: Record<string, string>;
  /** @default the current directory */
  cwd?: string;
  /**
   * The server's stderr: kept (its last lines go into error messages), passed through to this process's
   * stderr, or dropped. @default 'capture'
   */
  stderr?: 'capture' | 'inherit' | 'ignore';
  url?: never;
}

/** A server reached over streamable HTTP. */
export interface McpHttpOptions extends McpToolsCommonOptions {
  /** The MCP endpoint, e.g. `http://127.0.0.1:3000/mcp`. */
  url: string | URL;
  /** Sent with every request, e.g. `{ authorization: 'Bearer ...' }` (never put in messages). @default none */
  headers?: Record<string, string>;
  command?: never;
}

/** Settings of {@link mcpTools}: a command to start (stdio) or a URL (streamable HTTP). */
export type McpToolsOptions = McpStdioOptions | McpHttpOptions;

/** Where an {@link McpToolset} stands: no connection, opening one, or open. */
export type McpToolsetStatus = 'closed' | 'opening' | 'open';

const isMs = (value: unknown, min: number) => typeof value === 'number' && Number.isInteger(value) && value >= min && value <= MAX_TIMER_MS;

/**
 * An MCP server's tools for agents: a {@link ToolSource} that connects on first use, lists the server's
 * tools, and shares the connection among every agent node using this object. Made by {@link mcpTools}.
 *
 * Lifetime: each agent node run takes the toolset when it starts ({@link McpToolset.tools} with a signal
 * it aborts when it ends); the first one opens the connection (starts the process, or connects over HTTP),
 * and once the last one has left the connection closes after `keepAlive` ms, unless another node takes
 * it first. A run that ends or is cancelled therefore closes the server `keepAlive` ms later.
 * {@link McpToolset.close} closes it at once. If the server goes away (its process exits, its HTTP
 * endpoint stops answering), the calls pending and the later calls of the agents that hold this connection
 * fail with an {@link McpError} `SERVER_CLOSED` naming the server; the next agent node to start opens a
 * new connection.
 */
export class McpToolset implements ToolSource {
  readonly name: string;
  readonly #settings: ConstructorParameters<typeof McpSession>[0];
  readonly #keepAlive: number;
  #session: McpSession | undefined;
  #opened = false;

  /** @internal use {@link mcpTools} */
  constructor(settings: ConstructorParameters<typeof McpSession>[0], keepAlive: number) {
    this.name = settings.server;
    this.#settings = settings;
    this.#keepAlive = keepAlive;
  }

  /** Whether a connection is open, opening, or not there. */
  get status(): McpToolsetStatus {
    const session = this.#session;
    if (session === undefined || session.closed) return 'closed';
    return this.#opened ? 'open' : 'opening';
  }

  /** The agents holding the current connection. */
  get users(): number {
    const session = this.#session;
    return session === undefined || session.closed ? 0 : session.users;
  }

  /**
   * Takes the toolset for one user until `ctx.signal` aborts, opening the connection if there is none,
   * and answers the server's tools. Rejects with the signal's reason if it aborts first, or with an
   * {@link McpError} `CONNECT_FAILED` / `TOOL_NOT_FOUND` / `TOOL_NAME_CLASH`.
   */
  tools(ctx: ToolSourceContext): Promise<readonly Tool[]> {
    const { signal, scheduler } = ctx;
    if (signal.aborted) return Promise.reject(signal.reason);
    let session = this.#session;
    if (session === undefined || session.closed) {
      const fresh = new McpSession(this.#settings);
      session = fresh;
      this.#session = fresh;
      this.#opened = false;
      fresh.ready.then(() => {
        if (this.#session === fresh) this.#opened = true;
      }, () => undefined);
    }
    const held = session;
    held.acquire();
    return new Promise<readonly Tool[]>((resolve, reject) => {
      const leave = () => {
        held.release(scheduler, this.#keepAlive);
        reject(signal.reason);
      };
      signal.addEventListener('abort', leave, { once: true });
      held.ready.then(resolve, reject);
    });
  }

  /** Closes the connection now, whoever holds it: pending calls fail with `SERVER_CLOSED`. A later `tools()` opens a new one. */
  async close(): Promise<void> {
    const session = this.#session;
    this.#session = undefined;
    await session?.close('the toolset was closed');
  }
}

/** The default name: the command line, or the URL without its query (which may carry a secret). */
function defaultName(options: McpToolsOptions, url: URL | undefined): string {
  if (url !== undefined) return `${url.host}${url.pathname === '/' ? '' : url.pathname}`;
  const stdio = options as McpStdioOptions;
  const line = [basename(stdio.command), ...(stdio.args ?? [])].join(' ');
  return line.length > 80 ? `${line.slice(0, 79)}…` : line;
}

/**
 * The tools of an MCP server, for `agent({ tools })`: `mcpTools({ command, args })` starts the server as
 * a child process (stdio), `mcpTools({ url })` connects over streamable HTTP, both with the official
 * `@modelcontextprotocol/sdk` client (an optional peer dependency: `npm install @modelcontextprotocol/sdk`).
 * Nothing starts until an agent uses it; see {@link McpToolset} for the connection's lifetime.
 *
 * Each of the server's tools becomes a `Tool`: the model sees the server's name (with the `prefix`),
 * description and input JSON Schema; the model's input is validated against that schema (failures go
 * back to the model as issues, like a zod tool's); a call is aborted (and the server told so) when the
 * agent cancels it or it times out; text and image content reach the model as they are, and a result
 * with `isError` fails the call with an {@link McpError} `TOOL_ERROR` carrying the tool's text, which
 * the agent reports to the model.
 *
 * ## Example
 * ```ts
 * import { agent } from 'rx-orchestra';
 * import { mcpTools } from 'rx-orchestra/mcp';
 * const fs = mcpTools({ name: 'fs', command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem', '.'], include: ['read_text_file', 'list_directory'] });
 * const search = mcpTools({ name: 'search', url: 'http://127.0.0.1:3000/mcp', headers: { authorization: `Bearer ${process.env.SEARCH_TOKEN}` }, prefix: true });
 * const explorer = agent({ prompt: () => 'What does this project do?', tools: [fs, search], maxSteps: 8 });
 * ```
 * @throws {MissingPeerError} `@modelcontextprotocol/sdk` is not installed
 * @throws {OptionsError} an option is invalid (both or neither of `command` and `url`, a bad URL, ...), naming it
 */
export function mcpTools(options: McpToolsOptions): McpToolset {
  const bad = (field: string, rule: string, value: unknown) =>
    new OptionsError(field, `mcpTools: '${field}' must be ${rule}, got ${typeof value === 'string' ? `'${value}'` : String(value)}`);
  if (typeof options !== 'object' || options === null) throw new OptionsError('options', 'mcpTools: pass { command, args } or { url }');
  const { command, url } = options as { command?: unknown; url?: unknown };
  if ((command === undefined) === (url === undefined)) throw new OptionsError(command === undefined ? 'command' : 'url', "mcpTools: pass either 'command' (a server to start) or 'url' (a streamable HTTP server), not both or neither");
  let target: McpTarget;
  let parsedUrl: URL | undefined;
  if (command !== undefined) {
    const stdio = options as McpStdioOptions;
    if (typeof command !== 'string' || command.trim() === '') throw bad('command', 'a non-empty string', command);
    if (stdio.args !== undefined && !(Array.isArray(stdio.args) && stdio.args.every((arg) => typeof arg === 'string'))) throw bad('args', 'an array of strings', stdio.args);
    if (stdio.stderr !== undefined && !['capture', 'inherit', 'ignore'].includes(stdio.stderr)) throw bad('stderr', "'capture', 'inherit' or 'ignore'", stdio.stderr);
    target = { kind: 'stdio', command, args: stdio.args ?? [], env: stdio.env, cwd: stdio.cwd, stderr: stdio.stderr ?? 'capture' };
  } else {
    try {
      parsedUrl = new URL(url as string | URL);
    } catch {
      throw bad('url', 'an http(s) URL', url);
    }
    if (parsedUrl.protocol !== 'http:' && parsedUrl.protocol !== 'https:') throw bad('url', 'an http(s) URL', parsedUrl.protocol);
    target = { kind: 'http', url: parsedUrl, headers: (options as McpHttpOptions).headers };
  }
  const { name, include, prefix, timeout, concurrency, approve, connectTimeout, keepAlive } = options;
  if (name !== undefined && (typeof name !== 'string' || name.trim() === '')) throw bad('name', 'a non-empty string', name);
  if (include !== undefined && !(Array.isArray(include) && include.every((n) => typeof n === 'string'))) throw bad('include', 'an array of tool names', include);
  if (prefix !== undefined && typeof prefix !== 'boolean' && typeof prefix !== 'string') throw bad('prefix', 'a boolean or a string', prefix);
  if (timeout !== undefined && timeout !== false && !isMs(timeout, 1)) throw bad('timeout', `an integer number of ms between 1 and ${MAX_TIMER_MS}, or false`, timeout);
  if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency >= 1)) throw bad('concurrency', 'an integer >= 1', concurrency);
  if (approve !== undefined && typeof approve !== 'function') throw bad('approve', 'a function', approve);
  if (connectTimeout !== undefined && !isMs(connectTimeout, 1)) throw bad('connectTimeout', `an integer number of ms between 1 and ${MAX_TIMER_MS}`, connectTimeout);
  if (keepAlive !== undefined && !isMs(keepAlive, 0)) throw bad('keepAlive', `an integer number of ms between 0 and ${MAX_TIMER_MS}`, keepAlive);
  const sdk = loadMcpSdk(); // throws MISSING_PEER naming the fix
  const server = name ?? defaultName(options, parsedUrl);
  return new McpToolset(
    {
      sdk,
      server,
      target,
      include,
      prefix: prefix === true ? `${server}_` : typeof prefix === 'string' ? prefix : '',
      timeout: timeout ?? DEFAULT_TOOL_TIMEOUT_MS,
      concurrency,
      approve,
      connectTimeout: connectTimeout ?? 30_000,
    },
    keepAlive ?? 1_000,
  );
}
