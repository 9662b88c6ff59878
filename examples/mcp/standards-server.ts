/**
 * A small MCP server over stdio, built with the official SDK's `McpServer`: the organisation's data
 * standards dictionary (seed 004's RAG source) as two tools, `search_standards` (standard names and
 * domain candidates for a term) and `domain_rules` (the priority and rule of each domain). Started by
 * examples/supervisor-tools-graph.ts through `mcpTools({ command: process.execPath, args: ['--import',
 * 'tsx', <this file>] })`; it runs until its client closes stdin.
 *
 *     node --import tsx examples/mcp/standards-server.ts   # speaks MCP on stdin/stdout
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';

/** The standards dictionary: logical names, their standard physical names (abbreviations) and domains. */
export const STANDARDS = [
  { logicalName: 'patient identifier', physicalName: 'PT_ID', domains: ['clinical encounter', 'patient info'], definition: 'The number that identifies a patient across systems.' },
  { logicalName: 'patient name', physicalName: 'PT_NM', domains: ['patient info'], definition: "The patient's full legal name." },
  { logicalName: 'encounter date', physicalName: 'ENC_DT', domains: ['clinical encounter'], definition: 'The date of a visit or admission.' },
  { logicalName: 'claim amount', physicalName: 'CLM_AMT', domains: ['billing'], definition: 'The amount billed on a claim.' },
] as const;

/** Domain priorities (lower first) and the rule behind each. */
export const DOMAIN_RULES: Record<string, { priority: number; rule: string }> = {
  'patient info': { priority: 1, rule: 'Identity data comes first: it is the key every other domain joins on.' },
  'clinical encounter': { priority: 2, rule: 'Encounter data follows identity.' },
  billing: { priority: 3, rule: 'Billing data comes last: it derives from encounters.' },
};

/** The server and its tools. */
export function standardsServer(): McpServer {
  const server = new McpServer({ name: 'standards', version: '1.0.0' });
  server.registerTool(
    'search_standards',
    {
      description: "Searches the organisation's data standards dictionary: standard physical names (abbreviations) and domain candidates for a column's logical name.",
      inputSchema: { term: z.string().min(1).describe('A logical column name or part of it, e.g. "patient identifier"') },
    },
    ({ term }) => {
      const words = term.toLowerCase().split(/\s+/).filter(Boolean);
      const hits = STANDARDS.filter((entry) => words.every((word) => entry.logicalName.includes(word)));
      return { content: [{ type: 'text', text: hits.length > 0 ? JSON.stringify(hits) : `No standard matches "${term}".` }] };
    },
  );
  server.registerTool(
    'domain_rules',
    {
      description: 'The priority (1 first) and the rule of each named data domain.',
      inputSchema: { domains: z.array(z.string()).min(1) },
    },
    ({ domains }) => {
      const unknown = domains.filter((domain) => !(domain in DOMAIN_RULES));
      if (unknown.length > 0) return { content: [{ type: 'text', text: `Unknown domains: ${unknown.join(', ')}` }], isError: true };
      return { content: [{ type: 'text', text: JSON.stringify(Object.fromEntries(domains.map((domain) => [domain, DOMAIN_RULES[domain]]))) }] };
    },
  );
  return server;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await standardsServer().connect(new StdioServerTransport());
}
