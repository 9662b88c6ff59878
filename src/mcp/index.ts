/**
 * `rx-orchestra/mcp`: the tools of MCP (Model Context Protocol) servers for `agent()` nodes, over stdio
 * or streamable HTTP, with the official client. `@modelcontextprotocol/sdk` is an optional peer
 * dependency: without it `mcpTools()` throws a `MissingPeerError` naming the package to install.
 *
 * ## Example
 * ```ts
 * import { agent } from 'rx-orchestra';
 * import { mcpTools } from 'rx-orchestra/mcp';
 * const fs = mcpTools({ name: 'fs', command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem', '.'] });
 * const reader = agent({ prompt: () => 'Summarize README.md', tools: [fs] });
 * ```
 * @module
 */
export { mcpTools, McpToolset, type McpToolsOptions, type McpToolsCommonOptions, type McpStdioOptions, type McpHttpOptions, type McpToolsetStatus } from './mcp-tools.js';
export { McpError, isMcpError, type McpErrorCode } from './errors.js';
