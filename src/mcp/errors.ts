import { RxOrchestraError, brandError, hasErrorTag } from '../errors/rx-orchestra-error.js';

/**
 * What went wrong with an MCP server:
 * - `CONNECT_FAILED`: the server could not be started or reached, or did not complete the MCP handshake
 *   or list its tools (the message says which, with the server's last stderr lines for a stdio server).
 * - `SERVER_CLOSED`: the connection ended while a call was pending or before it was made: the server
 *   process exited, the HTTP server went away, or the toolset was closed.
 * - `TOOL_NOT_FOUND`: `include` names a tool the server does not have, or the server no longer has a
 *   tool it listed.
 * - `TOOL_ERROR`: the tool answered with `isError: true`; the message carries the tool's own text.
 * - `CALL_FAILED`: the server refused the call with a protocol error (invalid params, internal error,
 *   an HTTP status), or did not answer in time.
 * - `TOOL_NAME_CLASH`: two of the server's tools have the same name once made valid for the model
 *   (letters, digits, `_` and `-`, at most 64 characters, after the prefix).
 *
 * ## Example
 * ```ts
 * import { isMcpError, type McpErrorCode } from 'rx-orchestra/mcp';
 * const codeOf = (e: unknown): McpErrorCode | undefined => (isMcpError(e) ? e.code : undefined);
 * ```
 */
export type McpErrorCode = 'CONNECT_FAILED' | 'SERVER_CLOSED' | 'TOOL_NOT_FOUND' | 'TOOL_ERROR' | 'CALL_FAILED' | 'TOOL_NAME_CLASH';

/**
 * A failure of an MCP server or of one of its tools, naming the server (`server`) and the tool (`tool`,
 * when a call failed). An agent reports a failed tool call to the model as an error result (or fails, by
 * its `onToolError` policy), so the message is written for the model to read too. Not retryable: a
 * closed connection stays closed for the agents that hold it (the next agent node opens a new one).
 *
 * ## Example
 * ```ts
 * import { isMcpError } from 'rx-orchestra/mcp';
 * try { await fs.tools({ signal, scheduler }); }
 * catch (e) { if (isMcpError(e, 'CONNECT_FAILED')) console.error(`cannot start ${e.server}: ${e.message}`); }
 * ```
 */
export class McpError extends RxOrchestraError {
  static {
    brandError(this, 'McpError');
  }
  override readonly name = 'McpError';
  readonly code: McpErrorCode;
  readonly retryable = false;
  /** The server's name (`mcpTools({ name })`). */
  readonly server: string;
  /** The MCP tool whose call failed (the server's name for it, without a prefix), if any. */
  readonly tool: string | undefined;

  constructor(code: McpErrorCode, server: string, message: string, options?: { tool?: string; cause?: unknown }) {
    super(`MCP server '${server}': ${message}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.server = server;
    this.tool = options?.tool;
  }
}

/**
 * True for an {@link McpError}, also one from another copy of the package; with a `code`, only for one
 * with that code.
 *
 * ## Example
 * ```ts
 * import { isMcpError } from 'rx-orchestra/mcp';
 * if (isMcpError(error, 'SERVER_CLOSED')) console.error(`${error.server} died: ${error.message}`);
 * ```
 */
export function isMcpError<C extends McpErrorCode = McpErrorCode>(error: unknown, code?: C): error is McpError & { readonly code: C } {
  return hasErrorTag(error, 'McpError') && (code === undefined || (error as McpError).code === code);
}
