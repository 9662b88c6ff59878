// Helpers of the MCP tests: a ToolContext, a lease on a toolset, and waiting for a server's marker files.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { asyncScheduler, from, lastValueFrom, type SchedulerLike } from 'rxjs';
import { vi } from 'vitest';
import type { Tool, ToolContext, ToolSource } from '../../src/agents/tool.js';

export const repo = fileURLToPath(new URL('../../', import.meta.url));
export const stdioServer = fileURLToPath(new URL('./fixtures/stdio-server.ts', import.meta.url));

/** A fresh directory for a server's marker files. */
export const markerDir = () => mkdtempSync(join(tmpdir(), 'rxo-mcp-'));

/** The `mcpTools` options that start the test server over stdio. */
export const stdioOptions = (markers: string, env: Record<string, string> = {}) => ({
  name: 'calc',
  command: process.execPath,
  args: ['--import', 'tsx', stdioServer],
  cwd: repo,
  env: { MARKERS: markers, ...env },
});

/** Takes `source` like an agent node run does: the tools, and `release` to abort the lease. */
export async function lease(source: ToolSource, scheduler: SchedulerLike = asyncScheduler) {
  const controller = new AbortController();
  const tools = await lastValueFrom(from(source.tools({ signal: controller.signal, scheduler })));
  const byName = (name: string): Tool => {
    const found = tools.find((t) => t.name === name);
    if (found === undefined) throw new Error(`no tool ${name} in ${tools.map((t) => t.name).join(', ')}`);
    return found;
  };
  return { tools, byName, release: () => controller.abort(new Error('node run ended')) };
}

/** A ToolContext for a direct call; `signal` defaults to one that never aborts. */
export function toolContext(signal: AbortSignal = new AbortController().signal): ToolContext {
  return { signal, scheduler: asyncScheduler, context: undefined, runId: 'run-1', nodeId: 'explorer', toolUseId: 'toolu_1', step: 1 };
}

/** Checks the input and runs the tool, as an agent does; the result the model would read. */
export async function call(tool: Tool, input: unknown, signal?: AbortSignal) {
  const checked = tool.check(input);
  if (!checked.ok) throw new Error(`invalid input: ${checked.issues.join('; ')}`);
  const value = await lastValueFrom(from(tool.run(checked.value, toolContext(signal))));
  return tool.format(value);
}

/** Waits until the server wrote the marker `name` (a condition, not a duration). */
export async function marker(dir: string, name: string): Promise<void> {
  await vi.waitFor(() => {
    if (!existsSync(join(dir, name))) throw new Error(`no marker ${name} yet`);
  }, { timeout: 20_000, interval: 20 });
}

/** Waits until the process `pid` is gone. */
export async function exited(pid: number): Promise<void> {
  await vi.waitFor(() => {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    throw new Error(`process ${pid} still runs`);
  }, { timeout: 20_000, interval: 20 });
}
