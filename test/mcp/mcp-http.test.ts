import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMcpError, mcpTools, type McpToolset } from '../../src/mcp/index.js';
import { startHttpMcpServer, type HttpMcpServer } from './fixtures/http-server.js';
import { call, lease, marker, markerDir } from './support.js';

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('mcpTools over streamable HTTP: a real MCP server on 127.0.0.1', () => {
  const markers = markerDir();
  let server: HttpMcpServer;
  let calc: McpToolset;
  let held: Awaited<ReturnType<typeof lease>>;

  beforeAll(async () => {
    server = await startHttpMcpServer(markers);
    calc = mcpTools({ name: 'calc-http', url: server.url, headers: { authorization: 'Bearer test-token' } });
    held = await lease(calc);
  });
  afterAll(async () => {
    held?.release();
    await calc?.close();
    await server?.kill();
  });

  it('lists and calls the tools, sending the headers with every request', async () => {
    expect(held.tools.map((t) => t.name)).toEqual(['add', 'echo', 'slow', 'fail', 'pid']);
    expect(await call(held.byName('add'), { a: 2, b: 40 })).toBe('42');
    expect(held.byName('add').check({ a: 2 })).toEqual({ ok: false, issues: ["(root): must have required property 'b'"] });
    expect(server.headers.length).toBeGreaterThanOrEqual(3); // initialize, tools/list, tools/call
    expect(server.headers.every((h) => h.authorization === 'Bearer test-token')).toBe(true);
  });

  it('cancelling a call aborts it and the server is told to stop', async () => {
    const controller = new AbortController();
    const pending = call(held.byName('slow'), { ms: 60_000, tag: 'http-cancel' }, controller.signal).catch((e: unknown) => e);
    await marker(markers, 'slow-started-http-cancel');
    const reason = new Error('node cancelled');
    controller.abort(reason);
    expect(await pending).toBe(reason);
    await marker(markers, 'slow-cancelled-http-cancel');
  });
});

describe('mcpTools over streamable HTTP: a server that goes away', () => {
  it('a server killed mid-call fails the pending and later calls with SERVER_CLOSED naming the server', async () => {
    const markers = markerDir();
    const server = await startHttpMcpServer(markers);
    const calc = mcpTools({ name: 'search', url: server.url });
    const held = await lease(calc);
    const pending = call(held.byName('slow'), { ms: 60_000, tag: 'http-kill' }).catch((e: unknown) => e);
    await marker(markers, 'slow-started-http-kill');
    await server.kill();

    const error = await pending;
    expect(isMcpError(error, 'SERVER_CLOSED')).toBe(true);
    expect(error).toMatchObject({ server: 'search', tool: 'slow' });
    expect((error as Error).message).toMatch(/^MCP server 'search': tool 'slow' failed: the connection closed: the connection to the server was lost/);
    const later = await call(held.byName('add'), { a: 1, b: 2 }).catch((e: unknown) => e);
    expect(isMcpError(later, 'SERVER_CLOSED')).toBe(true);
    expect(calc.status).toBe('closed');
    held.release();
    await calc.close();
  });

  it('a server that answers nothing at first use fails with CONNECT_FAILED', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/mcp`;
    const error = await lease(mcpTools({ name: 'search', url })).catch((e: unknown) => e);
    expect(isMcpError(error, 'CONNECT_FAILED')).toBe(true);
    expect((error as Error).message).toMatch(new RegExp(`^MCP server 'search': could not connect to http://127.0.0.1:\\d+/mcp: `));
  });
});
