import { VirtualTimeScheduler } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isToolSource } from '../../src/agents/tool.js';
import { isOptionsError, isRxOrchestraError } from '../../src/index.js';
import { isMcpError, mcpTools, type McpToolset } from '../../src/mcp/index.js';
import { PIXEL } from './fixtures/server.js';
import { call, exited, lease, marker, markerDir, stdioOptions } from './support.js';

describe('mcpTools over stdio: a real MCP server process', () => {
  const markers = markerDir();
  let calc: McpToolset;
  let held: Awaited<ReturnType<typeof lease>>;

  beforeAll(async () => {
    calc = mcpTools(stdioOptions(markers));
    held = await lease(calc);
  });
  afterAll(async () => {
    held?.release();
    await calc?.close();
  });

  it('is a ToolSource that lists the server tools with their JSON Schema', () => {
    expect(isToolSource(calc)).toBe(true);
    expect(calc.name).toBe('calc');
    expect(calc.status).toBe('open');
    expect(held.tools.map((t) => t.name)).toEqual(['add', 'echo', 'slow', 'fail', 'pid']);
    const add = held.byName('add');
    expect(add.description).toBe('Adds two numbers');
    expect(add.inputSchema).toEqual({ type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] });
    expect(add).toMatchObject({ timeout: 30_000, retry: 0, concurrency: undefined, approve: undefined });
  });

  it('calls a tool: text content reads as a string, an image as an image block', async () => {
    expect(await call(held.byName('add'), { a: 2, b: 3 })).toBe('5');
    expect(await call(held.byName('echo'), { text: 'hi', picture: true })).toEqual([
      { type: 'text', text: 'hi' },
      { type: 'image', source: { type: 'base64', mediaType: 'image/png', data: PIXEL } },
    ]);
  });

  it("checks the model's input against the server's JSON Schema, issues as path: message lines", () => {
    const add = held.byName('add');
    expect(add.check({ a: 1, b: 2 })).toEqual({ ok: true, value: { a: 1, b: 2 } });
    expect(add.check({ a: 'one' })).toEqual({ ok: false, issues: ["(root): must have required property 'b'", 'a: must be number'] });
    expect(add.check('1 + 2')).toEqual({ ok: false, issues: ['(root): must be an object, got string'] });
    expect(held.byName('echo').check({ text: '' })).toEqual({ ok: false, issues: ['text: must NOT have fewer than 1 characters'] });
  });

  it('a result with isError fails the call with TOOL_ERROR naming the server and the tool', async () => {
    const error = await call(held.byName('fail'), {}).catch((e: unknown) => e);
    expect(isMcpError(error, 'TOOL_ERROR')).toBe(true);
    expect(isRxOrchestraError(error)).toBe(true);
    expect(error).toMatchObject({ name: 'McpError', server: 'calc', tool: 'fail', retryable: false, message: "MCP server 'calc': tool 'fail' failed: disk full" });
  });

  it('cancelling a call aborts it: the caller gets its reason and the server is told to stop', async () => {
    const controller = new AbortController();
    const pending = call(held.byName('slow'), { ms: 60_000, tag: 'cancel' }, controller.signal).catch((e: unknown) => e);
    await marker(markers, 'slow-started-cancel');
    const reason = new Error('node cancelled');
    controller.abort(reason);
    expect(await pending).toBe(reason);
    await marker(markers, 'slow-cancelled-cancel');
    expect(await call(held.byName('add'), { a: 1, b: 1 })).toBe('2'); // the connection is still fine
  });

  it('include chooses tools, prefix renames them for the model; an unknown name fails with TOOL_NOT_FOUND', async () => {
    const chosen = mcpTools({ ...stdioOptions(markers), include: ['add'], prefix: true });
    const { tools, release } = await lease(chosen);
    expect(tools.map((t) => t.name)).toEqual(['calc_add']);
    expect(await call(tools[0]!, { a: 20, b: 22 })).toBe('42');
    release();
    await chosen.close();

    const typo = mcpTools({ ...stdioOptions(markers), include: ['add', 'mul'] });
    const error = await lease(typo).catch((e: unknown) => e);
    expect(isMcpError(error, 'TOOL_NOT_FOUND')).toBe(true);
    expect((error as Error).message).toBe("MCP server 'calc': has no tool 'mul' (it has: add, echo, slow, fail, pid)");
    expect(typo.status).toBe('closed');
  });
});

describe('mcpTools over stdio: the connection follows its users', () => {
  it('is shared by concurrent users, kept for keepAlive after the last leaves, then closed (virtual time)', async () => {
    const scheduler = new VirtualTimeScheduler();
    const calc = mcpTools({ ...stdioOptions(markerDir()), keepAlive: 1_000 });
    expect(calc.status).toBe('closed'); // nothing starts before first use
    const [first, second] = await Promise.all([lease(calc, scheduler), lease(calc, scheduler)]);
    const pid = Number(await call(first.byName('pid'), {}));
    expect(Number(await call(second.byName('pid'), {}))).toBe(pid);
    expect(calc.users).toBe(2);

    first.release();
    second.release();
    expect(calc.users).toBe(0);
    expect(calc.status).toBe('open'); // the grace has not passed

    const third = await lease(calc, scheduler); // a consecutive node reuses it
    expect(Number(await call(third.byName('pid'), {}))).toBe(pid);
    third.release();
    scheduler.flush(); // keepAlive passes
    expect(calc.status).toBe('closed');
    await exited(pid);

    const fourth = await lease(calc, scheduler); // the next run opens a new one
    expect(Number(await call(fourth.byName('pid'), {}))).not.toBe(pid);
    fourth.release();
    await calc.close();
  });

  it('a server killed mid-call fails the pending and later calls with SERVER_CLOSED naming the server; the next user gets a new one', async () => {
    const markers = markerDir();
    const calc = mcpTools(stdioOptions(markers));
    const held = await lease(calc);
    const pid = Number(await call(held.byName('pid'), {}));
    const pending = call(held.byName('slow'), { ms: 60_000, tag: 'kill' }).catch((e: unknown) => e);
    await marker(markers, 'slow-started-kill');
    process.kill(pid, 'SIGKILL');

    const error = await pending;
    expect(isMcpError(error, 'SERVER_CLOSED')).toBe(true);
    expect(error).toMatchObject({ server: 'calc', tool: 'slow' });
    expect((error as Error).message).toMatch(/^MCP server 'calc': tool 'slow' failed: the connection closed: the server process exited/);
    const later = await call(held.byName('add'), { a: 1, b: 2 }).catch((e: unknown) => e);
    expect(isMcpError(later, 'SERVER_CLOSED')).toBe(true);
    expect((later as Error).message).toMatch(/^MCP server 'calc': cannot call tool 'add': the server process exited/);
    expect(calc.status).toBe('closed');

    const next = await lease(calc);
    expect(Number(await call(next.byName('pid'), {}))).not.toBe(pid);
    held.release();
    next.release();
    await calc.close();
  });

  it('close() closes at once: a pending call fails with SERVER_CLOSED', async () => {
    const markers = markerDir();
    const calc = mcpTools(stdioOptions(markers));
    const held = await lease(calc);
    const pid = Number(await call(held.byName('pid'), {}));
    const pending = call(held.byName('slow'), { ms: 60_000, tag: 'close' }).catch((e: unknown) => e);
    await marker(markers, 'slow-started-close');
    await calc.close();
    const error = await pending;
    expect(isMcpError(error, 'SERVER_CLOSED')).toBe(true);
    expect((error as Error).message).toContain('the toolset was closed');
    await exited(pid);
    held.release();
  });

  it('a lease aborted before the server is ready rejects with its reason, and the server closes', async () => {
    const scheduler = new VirtualTimeScheduler();
    const calc = mcpTools({ ...stdioOptions(markerDir()), keepAlive: 0 });
    const controller = new AbortController();
    const pending = Promise.resolve(calc.tools({ signal: controller.signal, scheduler })).catch((e: unknown) => e);
    const reason = new Error('run cancelled');
    controller.abort(reason);
    expect(await pending).toBe(reason);
    expect(calc.status).toBe('opening');
    scheduler.flush();
    expect(calc.status).toBe('closed');
  });
});

describe('mcpTools over stdio: a server that cannot start', () => {
  it('a command that does not exist fails with CONNECT_FAILED naming the server', async () => {
    const missing = mcpTools({ name: 'ghost', command: 'rx-orchestra-no-such-mcp-server' });
    const error = await lease(missing).catch((e: unknown) => e);
    expect(isMcpError(error, 'CONNECT_FAILED')).toBe(true);
    expect((error as Error).message).toMatch(/^MCP server 'ghost': could not start 'rx-orchestra-no-such-mcp-server': .*ENOENT/);
  });

  it('a server that exits at start fails with CONNECT_FAILED quoting its stderr', async () => {
    const broken = mcpTools(stdioOptions(markerDir(), { FAIL_AT_START: '1' }));
    const error = await lease(broken).catch((e: unknown) => e);
    expect(isMcpError(error, 'CONNECT_FAILED')).toBe(true);
    expect((error as Error).message).toContain("MCP server 'calc': could not start");
    expect((error as Error).message).toContain('config error: no API key');
  });

  it('refuses bad options when called, naming the field', () => {
    const refused = (options: unknown) => {
      try {
        mcpTools(options as Parameters<typeof mcpTools>[0]);
      } catch (error) {
        return isOptionsError(error) ? `${error.field}: ${error.message}` : String(error);
      }
      return 'accepted';
    };
    expect(refused({})).toBe("command: mcpTools: pass either 'command' (a server to start) or 'url' (a streamable HTTP server), not both or neither");
    expect(refused({ command: 'x', url: 'http://127.0.0.1:1/mcp' })).toMatch(/^url: /);
    expect(refused({ url: 'ftp://example.com' })).toBe("url: mcpTools: 'url' must be an http(s) URL, got 'ftp:'");
    expect(refused({ command: 'x', keepAlive: -1 })).toMatch(/^keepAlive: /);
    expect(refused({ command: 'x', timeout: 0 })).toMatch(/^timeout: /);
    expect(mcpTools({ command: 'npx', args: ['-y', 'some-server', '--root', '.'] }).name).toBe('npx -y some-server --root .');
    expect(mcpTools({ url: 'https://mcp.example.com/v1/mcp?token=secret' }).name).toBe('mcp.example.com/v1/mcp');
  });
});
