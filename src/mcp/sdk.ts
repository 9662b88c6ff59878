import { createRequire } from 'node:module';
import type { Client as SdkClient } from '@modelcontextprotocol/sdk/client/index.js';
import type { StdioClientTransport as SdkStdio } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { StreamableHTTPClientTransport as SdkHttp } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { loadPeer } from '../peer/load-peer.js';

/** The part of ajv's compiled validator that the input check reads. @internal */
export interface AjvValidate {
  (data: unknown): boolean;
  errors?: readonly AjvIssue[] | null;
}

/** One ajv error. @internal */
export interface AjvIssue {
  readonly instancePath: string;
  readonly keyword: string;
  readonly message?: string;
  readonly params: Record<string, unknown>;
}

/** The part of an ajv instance the input check uses. @internal */
export interface AjvLike {
  compile(schema: object): AjvValidate;
}

/** The classes of the MCP SDK that `mcpTools` uses, and ajv (a dependency of the SDK). @internal */
export interface McpSdk {
  readonly Client: typeof SdkClient;
  readonly StdioClientTransport: typeof SdkStdio;
  readonly StreamableHTTPClientTransport: typeof SdkHttp;
  /** A new ajv instance for the JSON Schema dialect named by `$schema` (draft-07 when absent). */
  newAjv(dialect: 'draft-07' | '2019-09' | '2020-12'): AjvLike;
}

let loaded: McpSdk | undefined;

type AjvClass = new (options: object) => AjvLike;
const classOf = (module: unknown): AjvClass => ((module as { default?: AjvClass }).default ?? module) as AjvClass;

/**
 * Loads `@modelcontextprotocol/sdk` (its CommonJS build, through the optional-peer loader), or throws a
 * `MissingPeerError` saying to install it. ajv is loaded from the SDK's own dependencies, so
 * rx-orchestra needs no JSON Schema validator of its own and checks inputs the way the SDK does.
 * @internal
 */
export function loadMcpSdk(): McpSdk {
  if (loaded !== undefined) return loaded;
  const { Client } = loadPeer<{ Client: typeof SdkClient }>('@modelcontextprotocol/sdk', 'client/index.js');
  const { StdioClientTransport } = loadPeer<{ StdioClientTransport: typeof SdkStdio }>('@modelcontextprotocol/sdk', 'client/stdio.js');
  const { StreamableHTTPClientTransport } = loadPeer<{ StreamableHTTPClientTransport: typeof SdkHttp }>('@modelcontextprotocol/sdk', 'client/streamableHttp.js');
  // Resolve ajv from where the SDK lives: it is the SDK's dependency, not ours (nested or hoisted).
  const fromSdk = createRequire(createRequire(import.meta.url).resolve('@modelcontextprotocol/sdk/validation/ajv'));
  const addFormats = classOf(fromSdk('ajv-formats')) as unknown as (ajv: AjvLike) => void;
  const modules = { 'draft-07': 'ajv', '2019-09': 'ajv/dist/2019', '2020-12': 'ajv/dist/2020' } as const;
  loaded = {
    Client,
    StdioClientTransport,
    StreamableHTTPClientTransport,
    newAjv: (dialect) => {
      // The SDK's own settings (validation/ajv-provider): every error, formats checked, unknown keywords tolerated.
      const ajv = new (classOf(fromSdk(modules[dialect])))({ strict: false, allErrors: true, validateFormats: true, validateSchema: false });
      addFormats(ajv);
      return ajv;
    },
  };
  return loaded;
}
