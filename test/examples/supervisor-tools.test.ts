import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { tap } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunEventSchema, collect, execute, hasValue, type RunEvent } from 'rx-orchestra';
import type { SupervisorResult } from 'rx-orchestra/patterns';
import { buildSupervisorTools, type SupervisorToolsSetup } from '../../examples/supervisor-tools-graph.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const of = <T extends RunEvent['type']>(events: readonly RunEvent[], type: T) => events.filter((e): e is Extract<RunEvent, { type: T }> => e.type === type);

describe('examples/supervisor-tools (seed 004 with tool-using workers and an MCP server)', () => {
  let setup: SupervisorToolsSetup;
  let result: SupervisorResult;
  let events: RunEvent[];
  let statusAfterRun: string;

  // Real time: the MCP server is a real child process (started by the recommender's first step).
  beforeAll(async () => {
    setup = buildSupervisorTools();
    expect(setup.standards.status).toBe('closed'); // nothing starts before an agent needs it
    events = [];
    const { outcomes } = await collect(execute(setup.graph, { model: setup.model, runId: 'tools' }).pipe(tap((e) => events.push(e))));
    statusAfterRun = setup.standards.status;
    const outcome = outcomes.standardize;
    if (!hasValue(outcome)) throw new Error(`standardize ended ${outcome?.status}: ${JSON.stringify(events.filter((e) => e.type.endsWith('failed')))}`);
    result = outcome.value as SupervisorResult;
  }, 60_000);
  afterAll(() => setup?.close());

  it('routes recommender → post_processor → auditor → FINISH', () => {
    expect(result).toMatchObject({ supervisor: 'data-standardizer', reason: 'FINISH', turns: 3 });
    expect(result.trace.map((t) => t.next)).toEqual(['recommender', 'post_processor', 'auditor', 'FINISH']);
  });

  it("the recommender's answer comes from the MCP server's dictionary, through search_standards", () => {
    const [, recommendation, table, audit] = result.messages;
    expect(recommendation).toMatchObject({ name: 'recommender', payload: { logicalName: 'patient identifier', physicalName: 'PT_ID', domains: ['clinical encounter', 'patient info'] } });
    expect(table!.content.split('\n').slice(2)).toEqual(['| patient identifier | PT_ID | patient info |', '| patient identifier | PT_ID | clinical encounter |']);
    expect(audit).toMatchObject({ name: 'auditor', content: 'Domain priority verified: patient info (1) before clinical encounter (2). PT_ID follows the abbreviation dictionary. No corrections.' });
  });

  it('puts every step and tool call on the run stream: one MCP call, then an MCP and a local call in one step', () => {
    for (const event of events) expect(RunEventSchema.safeParse(JSON.parse(JSON.stringify(event))).success, event.type).toBe(true);
    expect(of(events, 'agent.step').map((e) => `${e.step} ${e.stopReason} ${e.toolCalls}`)).toEqual(['1 tool_use 1', '2 end_turn 0', '1 tool_use 2', '2 end_turn 0']);
    const called = of(events, 'tool.called');
    expect(called.map((e) => `${e.step} ${e.tool}`)).toEqual(['1 search_standards', '1 domain_rules', '1 check_table_order']);
    expect(called[0]!.input).toEqual({ term: 'patient identifier' });
    expect(called[1]!.input).toEqual({ domains: ['patient info', 'clinical encounter'] });
    expect(of(events, 'tool.succeeded').map((e) => e.tool).sort()).toEqual(['check_table_order', 'domain_rules', 'search_standards']);
    expect(of(events, 'tool.failed')).toEqual([]);
    // the auditor's two calls ran in parallel: both were called before either answered
    const auditorStep = events.filter((e) => (e.type === 'tool.called' || e.type === 'tool.succeeded') && e.tool !== 'search_standards').map((e) => e.type);
    expect(auditorStep.slice(0, 2)).toEqual(['tool.called', 'tool.called']);
    expect(of(events, 'agent.finished').map((e) => e.reason)).toEqual(['output', 'end_turn']);
  });

  it('the MCP server ran for the run and stops on close()', async () => {
    expect(['open', 'closed']).toContain(statusAfterRun); // kept open for a second after the last agent, for the next one
    await setup.close();
    expect(setup.standards.status).toBe('closed');
  });

  it('runs offline as a script and exits: npx tsx examples/supervisor-tools.ts', async () => {
    const env = { ...process.env };
    delete env.ANTHROPIC_API_KEY;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'examples/supervisor-tools.ts'], { cwd: ROOT, env, timeout: 60_000 });
    expect(stdout).toContain('⚙ search_standards({"term":"patient identifier"})');
    expect(stdout).toContain('[auditor] Domain priority verified');
    expect(stdout).toMatch(/■ FINISH after 3 workers/);
  }, 60_000);
});
