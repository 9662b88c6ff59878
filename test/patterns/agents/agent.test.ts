/** Agent services in virtual time: results, maxConcurrency, timeoutMs, deadlines, cancellation, validation. */
import { describe, expect, it } from 'vitest';
import { EMPTY, NEVER, asyncScheduler, map, of, throwError, timer, type Observable } from 'rxjs';
import { AgentError, defineAgent, isAgentError, modelAgent, type AgentResult, type AgentService, type AgentTask } from 'rx-orchestra/patterns';
import { simulatedModel, textOf } from 'rx-orchestra';
import { testScheduler } from '../../run/virtual-run.js';
import { anotherCopy } from '../../errors/another-copy.js';

/** An agent whose tasks take `payload.ms` of virtual time (default 10) and output `done <id>`. */
function service(overrides: Partial<AgentService<{ ms?: number }, string>> = {}): AgentService<{ ms?: number }, string> {
  return {
    name: 'worker',
    version: '2.1.0',
    capabilities: ['work'],
    model: 'claude-haiku-4-5',
    execute: (task, { scheduler }) => timer(task.payload.ms ?? 10, scheduler).pipe(map(() => ({ output: `done ${task.id}`, tokensUsed: 42 }))),
    ...overrides,
  };
}

const task = (id: string, extra: Partial<AgentTask<{ ms?: number }>> = {}): AgentTask<{ ms?: number }> => ({ id, type: 'work', payload: {}, ...extra });

/** Subscribes and records `t=<now> <id> ok|<code>` lines as results (or errors) arrive. */
function watch(lines: string[], id: string, result$: Observable<AgentResult<unknown>>): void {
  result$.subscribe({
    next: (r) => lines.push(`t=${asyncScheduler.now()} ${id} ${r.success ? 'ok' : r.error.code}`),
    error: (e: AgentError) => lines.push(`t=${asyncScheduler.now()} ${id} error ${e.code}`),
  });
}

describe('defineAgent: running a task', () => {
  it('returns a result with the output, the tokens, the duration and the agent', () => {
    const result = testScheduler().run(() => {
      let seen: AgentResult<string> | undefined;
      defineAgent(service())
        .handle(task('t1', { payload: { ms: 25 } }))
        .subscribe((r) => (seen = r));
      return () => seen;
    })();
    expect(result).toEqual({ taskId: 't1', agent: 'worker@2.1.0', success: true, output: 'done t1', tokensUsed: 42, durationMs: 25, startedAt: 0 });
  });

  it('runs at most maxConcurrency tasks at once; the rest wait, first come first served, and their duration excludes the wait', () => {
    const { results, peak } = testScheduler().run(() => {
      const results: AgentResult<string>[] = [];
      let running = 0;
      let peak = 0;
      const agent = defineAgent(
        service({
          maxConcurrency: 2,
          execute: (t, { scheduler }) => {
            peak = Math.max(peak, ++running);
            return timer(t.payload.ms ?? 10, scheduler).pipe(map(() => (running--, { output: t.id })));
          },
        }),
      );
      for (const id of ['a', 'b', 'c', 'd']) agent.handle(task(id, { payload: { ms: id === 'a' ? 30 : 10 } })).subscribe((r) => results.push(r));
      return { results, peak: () => peak };
    });
    expect(peak()).toBe(2);
    expect(results.map((r) => `${r.taskId} started ${r.startedAt} took ${r.durationMs}`)).toEqual(['b started 0 took 10', 'c started 10 took 10', 'a started 0 took 30', 'd started 20 took 10']);
  });

  it('queues by arrival: with maxConcurrency 1, tasks run back to back', () => {
    const lines = testScheduler().run(() => {
      const lines: string[] = [];
      const agent = defineAgent(service());
      for (const id of ['a', 'b', 'c']) watch(lines, id, agent.handle(task(id)));
      expect([agent.running, agent.waiting]).toEqual([1, 2]);
      return lines;
    });
    expect(lines).toEqual(['t=10 a ok', 't=20 b ok', 't=30 c ok']);
  });

  it('ends a task that runs past timeoutMs with a TIMEOUT result and aborts its signal', () => {
    const { result, signal } = testScheduler().run(() => {
      let signal: AbortSignal | undefined;
      let result: AgentResult | undefined;
      defineAgent(
        service({
          timeoutMs: 50,
          execute: (_t, ctx) => {
            signal = ctx.signal;
            return NEVER;
          },
        }),
      )
        .handle(task('slow'))
        .subscribe((r) => (result = r));
      return { result: () => result, signal: () => signal };
    });
    expect(result()).toMatchObject({ taskId: 'slow', success: false, durationMs: 50, tokensUsed: 0, error: { name: 'AgentError', code: 'TIMEOUT', message: "agent 'worker' did not finish task 'slow' within 50 ms" } });
    expect(signal()?.aborted).toBe(true);
  });

  it('turns a failing execute into a failed result (thrown, errored, no output)', () => {
    const results = testScheduler().run(() => {
      const results: AgentResult[] = [];
      const run = (execute: AgentService<{ ms?: number }, string>['execute']) => defineAgent(service({ execute, maxConcurrency: 3 })).handle(task('x')).subscribe((r) => results.push(r));
      run(() => {
        throw new Error('thrown');
      });
      run(() => throwError(() => Object.assign(new Error('overloaded'), { status: 529 })));
      run(() => EMPTY);
      run(() => of({ nothing: 1 }) as never);
      return results;
    });
    expect(results.map((r) => (r.success ? 'ok' : `${r.error.code ?? '-'} ${r.error.message}`))).toEqual([
      '- thrown',
      '- overloaded',
      "NO_OUTPUT agent 'worker' completed task 'x' without an { output } value",
      "NO_OUTPUT agent 'worker' completed task 'x' without an { output } value",
    ]);
    expect(results[1]!.error).toMatchObject({ status: 529 });
  });

  it('rejects a task whose deadline passed while it waited for a slot, without running it', () => {
    const { lines, ran } = testScheduler().run(() => {
      const lines: string[] = [];
      const ran: string[] = [];
      const agent = defineAgent(service({ execute: (t, { scheduler }) => (ran.push(t.id), timer(10, scheduler).pipe(map(() => ({ output: t.id })))) }));
      watch(lines, 'a', agent.handle(task('a')));
      watch(lines, 'late', agent.handle(task('late', { deadline: 5 })));
      watch(lines, 'edge', agent.handle(task('edge', { deadline: 10 }))); // would start at 10: now >= deadline
      watch(lines, 'ok', agent.handle(task('ok', { deadline: new Date(11) })));
      return { lines, ran };
    });
    expect(lines).toEqual(['t=10 a ok', 't=10 late error DEADLINE_EXCEEDED', 't=10 edge error DEADLINE_EXCEEDED', 't=20 ok ok']);
    expect(ran).toEqual(['a', 'ok']);
  });

  it('cancelling a running task aborts its signal and frees its slot for the next', () => {
    const { lines, aborted } = testScheduler().run(({ cold }) => {
      const lines: string[] = [];
      const aborted: string[] = [];
      const agent = defineAgent(
        service({
          execute: (t, { scheduler, signal }) => {
            signal.addEventListener('abort', () => aborted.push(`t=${scheduler.now()} ${t.id}`));
            return timer(10, scheduler).pipe(map(() => ({ output: t.id })));
          },
        }),
      );
      const first = agent.handle(task('a')).subscribe(() => lines.push('a finished'));
      watch(lines, 'b', agent.handle(task('b')));
      cold('---x').subscribe(() => first.unsubscribe());
      return { lines, aborted };
    });
    expect(aborted).toEqual(['t=3 a']);
    expect(lines).toEqual(['t=13 b ok']);
  });
});

describe('defineAgent: what it accepts', () => {
  it('by default handles the task types listed in its capabilities; canHandle can decide otherwise', () => {
    const plain = defineAgent(service({ capabilities: ['code', 'test'] }));
    expect([plain.canHandle(task('a', { type: 'code' })), plain.canHandle(task('a', { type: 'review' }))]).toEqual([true, false]);
    const picky = defineAgent(service({ canHandle: (t) => t.priority === 'high' }));
    expect([picky.canHandle(task('a', { priority: 'high' })), picky.canHandle(task('a'))]).toEqual([true, false]);
  });

  it('refuses, at call time, a task it cannot handle or a malformed task', () => {
    const agent = defineAgent(service());
    expect(() => agent.handle(task('a', { type: 'review' }))).toThrowError(expect.objectContaining({ code: 'CANNOT_HANDLE', taskId: 'a', agent: 'worker' }));
    expect(() => agent.handle(task('a', { priority: 'urgent' as never }))).toThrowError(expect.objectContaining({ code: 'INVALID_TASK', taskId: 'a', field: 'priority' }));
    expect(() => agent.handle(task('a', { deadline: new Date('nope') }))).toThrowError(expect.objectContaining({ code: 'INVALID_TASK', field: 'deadline' }));
    expect(() => agent.handle({ ...task('a'), id: '' })).toThrowError(expect.objectContaining({ code: 'INVALID_TASK', field: 'id' }));
  });

  it('validates its definition, naming the field', () => {
    const cases: [Partial<AgentService<{ ms?: number }, string>>, string][] = [
      [{ name: '' }, 'name'],
      [{ version: 2 as never }, 'version'],
      [{ capabilities: 'code' as never }, 'capabilities'],
      [{ model: undefined as never }, 'model'],
      [{ maxConcurrency: 0 }, 'maxConcurrency'],
      [{ maxConcurrency: 1.5 }, 'maxConcurrency'],
      [{ timeoutMs: 0 }, 'timeoutMs'],
      [{ execute: undefined as never }, 'execute'],
      [{ canHandle: true as never }, 'canHandle'],
    ];
    for (const [override, field] of cases) {
      expect(() => defineAgent(service(override)), field).toThrowError(expect.objectContaining({ name: 'AgentError', code: 'INVALID_AGENT', field }));
    }
  });

  it('fills in the defaults: one task at a time, 30 s', () => {
    const agent = defineAgent(service());
    expect([agent.maxConcurrency, agent.timeoutMs, agent.id]).toEqual([1, 30_000, 'worker@2.1.0']);
  });

  it('the guard recognizes an AgentError from another copy of the package', async () => {
    expect(isAgentError(new AgentError('TIMEOUT', 'x'))).toBe(true);
    const copy = await anotherCopy(() => import('../../../src/patterns/agents/errors.js'));
    expect(isAgentError(new copy.AgentError('TIMEOUT', 'x'))).toBe(true);
    expect(isAgentError(Object.assign(new Error('x'), { name: 'AgentError', code: 'TIMEOUT' }))).toBe(false); // a lookalike, without the brand
    expect(isAgentError(new Error('x'))).toBe(false);
    expect(new AgentError('TIMEOUT', 'x').retryable).toBe(true);
    expect(new AgentError('DEADLINE_EXCEEDED', 'x').retryable).toBe(false);
  });
});

describe('modelAgent', () => {
  it('calls its model with a prompt built from the task and its inputs, and counts the tokens', () => {
    const { result, prompts } = testScheduler().run(() => {
      const prompts: string[] = [];
      const model = simulatedModel({ latency: { medianMs: 200, p95Ms: 200 }, respond: (req) => (prompts.push(textOf(req.prompt)), 'a design with two components') });
      const architect = modelAgent<{ feature: string }>({
        name: 'architect',
        version: '1.0.0',
        capabilities: ['design'],
        model: 'claude-sonnet-4-6',
        system: 'You are an architect.',
        prompt: (t, { inputs }) => `Design ${t.payload.feature} from: ${String(inputs.spec)}`,
        provider: model,
      });
      let result: AgentResult<string> | undefined;
      architect.handle({ id: 'design', type: 'design', payload: { feature: 'login' } }, { inputs: { spec: 'the spec' } }).subscribe((r) => (result = r));
      return { result: () => result, prompts };
    });
    expect(prompts).toEqual(['Design login from: the spec']);
    // the simulated provider's estimate: input ceil(27 / 4) + ceil(21 / 4) = 13 (prompt, system), output ceil(28 / 4) = 7
    expect(result()).toMatchObject({ success: true, output: 'a design with two components', tokensUsed: 20, durationMs: 200, agent: 'architect@1.0.0' });
  });

  it('aborts the model call when the task times out', () => {
    const result = testScheduler().run(() => {
      const agent = modelAgent({ name: 'slow', version: '1', capabilities: ['x'], model: 'm', timeoutMs: 100, prompt: () => 'hi', provider: simulatedModel({ latency: { medianMs: 500, p95Ms: 500 } }) });
      let result: AgentResult<string> | undefined;
      agent.handle({ id: 't', type: 'x', payload: null }).subscribe((r) => (result = r));
      return () => result;
    })();
    expect(result).toMatchObject({ success: false, durationMs: 100, error: { code: 'TIMEOUT' } });
  });

  it('needs a prompt function', () => {
    expect(() => modelAgent({ name: 'x', version: '1', capabilities: [], model: 'm', prompt: 'hi' as never })).toThrowError(expect.objectContaining({ code: 'INVALID_AGENT', field: 'prompt' }));
  });
});
