import type * as OpenTelemetry from '@opentelemetry/api';
import type { Attributes, Span, Tracer } from '@opentelemetry/api';
import { loadPeer } from '../peer/load-peer.js';
import type { RunEvent } from '../run/events.js';
import { openCallScope, type CallPlace } from '../models/call-scope.js';

/**
 * Turns a run's events into OpenTelemetry spans: one per run, one per node (child of the run) and
 * one per attempt (child of the node), with retry and error events and token/cost attributes (an
 * attempt's tokens and cost are the sums over its model calls). Agent nodes add one span per step
 * (`chat <model>`, child of the attempt, from the step's first call to its answer) and one per tool
 * call (`execute_tool <tool>`, child of its step), with the GenAI semantic-convention attributes
 * (`gen_ai.operation.name`, `gen_ai.provider.name`, `gen_ai.request.model`, `gen_ai.usage.*`,
 * `gen_ai.tool.name`, `gen_ai.tool.call.id`); a failed tool call's span has an error status.
 * Through `@opentelemetry/api`: with no SDK registered every call is a no-op, so it costs nothing.
 * Span times are the events' timestamps.
 *
 * While an attempt span is open, the Claude adapter (`anthropicModel`) sends the node's calls in a
 * trace context of this tracer's (src/models/call-scope.ts), so the Anthropic SDK's own call spans
 * (`anthropic.messages.create`) nest in the run's trace: an agent step's calls under that step's
 * `chat` span, which the step's first call opens (started when the step began) and its
 * `agent.step` event completes and ends; a call the step retried (`agent.retrying`) stays under the
 * same span; other calls (`llm()` nodes) under the attempt span. A step that ends without its
 * `agent.step` (its call failed, the node timed out or was stopped) has its span ended with an error
 * status when the attempt ends; an attempt whose signal aborts with no event after it (the run was
 * cancelled by unsubscribing, which emits none) has its step, tool and attempt spans ended then, on
 * the run's clock, with an error status, so nothing stays open in the call-scope table. (The node and
 * run spans of a cancelled run stay unended: no event says the run is over.) With a model that does
 * not open the scope (a fake), each step span is made after the fact from its `agent.step` event,
 * with the same times. Nesting needs a context manager registered with the OpenTelemetry API, as
 * every Node SDK setup has.
 *
 * ## Example
 * ```ts
 * import { execute } from 'rx-orchestra';
 * import { traceRunEvents } from 'rx-orchestra/observe';
 * execute(g).pipe(tap(traceRunEvents())).subscribe();
 * ```
 */
export function traceRunEvents(tracer?: Tracer): (event: RunEvent) => void {
  const { ROOT_CONTEXT, SpanStatusCode, context, trace } = loadPeer<typeof OpenTelemetry>('@opentelemetry/api'); // throws MISSING_PEER naming the fix
  tracer ??= trace.getTracer('rx-orchestra');
  let runSpan: Span | undefined;
  const nodes = new Map<string, Span>();
  const attempts = new Map<string, Span>();
  /** Per node: what closes its current attempt's call scope (see src/models/call-scope.ts). */
  const scopes = new Map<string, () => void>();
  /** Per node: the current attempt's token and cost sums, and the model of its latest call. */
  const usage = new Map<string, { input: number; output: number; costUsd: number; model: string | undefined }>();
  /** Per node: its latest step's span (tool calls are its children), and its open tool spans by tool_use id. */
  const steps = new Map<string, Span>();
  const tools = new Map<string, Map<string, Span>>();
  /** Per node: the step span its current attempt's call opened, until that step's `agent.step` (or the attempt's end). */
  const openSteps = new Map<string, { step: number; span: Span }>();
  /** Per node: the current attempt's signal, watched for an abort that no event follows (see `watch`). */
  const watched = new Map<string, { signal: AbortSignal; onAbort: () => void }>();
  /** Ends the tool calls its attempt left running (in error when the attempt failed or was stopped). */
  const endTools = (nodeId: string, at: number, error: { message: string } | undefined) => {
    const open = tools.get(nodeId);
    if (!open) return;
    for (const span of open.values()) {
      if (error) span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
      span.end(at);
    }
    tools.delete(nodeId);
  };
  const endAttempt = (nodeId: string, at: number, error?: { name: string; message: string; code?: string }) => {
    endTools(nodeId, at, error);
    steps.delete(nodeId);
    const open = openSteps.get(nodeId);
    if (open) {
      // Its agent.step never came: the call failed or the attempt was stopped mid-step.
      open.span.setStatus({ code: SpanStatusCode.ERROR, message: error?.message ?? `step ${open.step} ended without an answer` });
      open.span.end(at);
      openSteps.delete(nodeId);
    }
    const watch = watched.get(nodeId);
    if (watch) {
      watch.signal.removeEventListener('abort', watch.onAbort);
      watched.delete(nodeId);
    }
    scopes.get(nodeId)?.();
    scopes.delete(nodeId);
    const span = attempts.get(nodeId);
    if (!span) return;
    if (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
      span.addEvent('exception', { 'exception.type': error.name, 'exception.message': error.message, ...(error.code ? { 'rx.error.code': error.code } : {}) }, at);
    }
    span.end(at);
    attempts.delete(nodeId);
  };
  const childOf = (parent: Span | undefined) => (parent ? trace.setSpan(ROOT_CONTEXT, parent) : ROOT_CONTEXT);
  /**
   * Watches the attempt's signal (once per attempt): aborted (cancelled, timed out, stopped), an
   * event ends the attempt in the same turn, except when the run was cancelled by unsubscribing,
   * which emits nothing more. So a microtask later, an attempt still open is ended here, on the
   * run's clock, and its call scope closed. (A timed-out attempt followed by a fallback's
   * asynchronous work is ended here too: it was aborted then.)
   */
  const watch = (nodeId: string, attempt: Span, place: CallPlace) => {
    const { signal, clock } = place;
    if (!signal || !clock || watched.has(nodeId) || attempts.get(nodeId) !== attempt) return;
    const onAbort = () =>
      queueMicrotask(() => {
        if (attempts.get(nodeId) !== attempt) return; // an event ended it
        endAttempt(nodeId, clock.now(), { name: 'AbortError', message: 'the attempt was aborted and no event ended it (the run was cancelled)' });
      });
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    watched.set(nodeId, { signal, onAbort });
  };
  /**
   * The trace context of a call made by the attempt `attempt` of `nodeId`: its agent step's span,
   * opened by the step's first call (started when the step began), else the attempt's span.
   */
  const callContext = (nodeId: string, attempt: Span, inAttempt: OpenTelemetry.Context, place: CallPlace): OpenTelemetry.Context => {
    watch(nodeId, attempt, place);
    const { step, stepStartedAt } = place;
    if (step === undefined || attempts.get(nodeId) !== attempt) return inAttempt;
    let open = openSteps.get(nodeId);
    if (open?.step !== step) {
      // An earlier step still open (not expected: each step's agent.step comes before the next call) is ended, not leaked.
      open?.span.end(stepStartedAt);
      const span = tracer.startSpan('chat', { startTime: stepStartedAt, attributes: { 'gen_ai.operation.name': 'chat', 'rx.agent.step': step } }, inAttempt);
      openSteps.set(nodeId, (open = { step, span }));
    }
    return trace.setSpan(ROOT_CONTEXT, open.span);
  };
  return (event) => {
    switch (event.type) {
      case 'run.started':
        runSpan = tracer.startSpan('rx.run', { startTime: event.at, attributes: { 'rx.run.id': event.runId, 'rx.run.nodes': event.nodes.length, 'rx.run.concurrency': event.concurrency ?? Infinity } });
        return;
      case 'node.started': {
        let node = nodes.get(event.nodeId);
        if (!node) {
          node = tracer.startSpan(`rx.node ${event.nodeId}`, { startTime: event.at, attributes: { 'rx.node.id': event.nodeId, 'rx.run.id': event.runId } }, childOf(runSpan));
          nodes.set(event.nodeId, node);
        }
        usage.set(event.nodeId, { input: 0, output: 0, costUsd: 0, model: undefined });
        const attempt = tracer.startSpan(`rx.attempt ${event.nodeId} #${event.attempt}`, { startTime: event.at, attributes: { 'rx.attempt': event.attempt } }, childOf(node));
        attempts.set(event.nodeId, attempt);
        scopes.get(event.nodeId)?.();
        const inAttempt = childOf(attempt);
        const { nodeId } = event;
        scopes.set(nodeId, openCallScope({ runId: event.runId, nodeId, attempt: event.attempt }, (fn, place) => context.with(callContext(nodeId, attempt, inAttempt, place), fn)));
        return;
      }
      case 'node.retrying':
        nodes.get(event.nodeId)?.addEvent('retry', { 'rx.attempt': event.attempt, 'rx.retry.delay_ms': event.delayMs, 'rx.error.message': event.error.message }, event.at);
        endAttempt(event.nodeId, event.at, event.error);
        return;
      case 'node.usage': {
        const sums = usage.get(event.nodeId);
        if (!sums) return;
        sums.input += event.usage.inputTokens;
        sums.output += event.usage.outputTokens;
        sums.costUsd += event.costUsd;
        sums.model = event.model;
        const attributes: Attributes = {
          'gen_ai.request.model': event.model,
          'gen_ai.usage.input_tokens': sums.input,
          'gen_ai.usage.output_tokens': sums.output,
          'rx.cost_usd': sums.costUsd,
        };
        attempts.get(event.nodeId)?.setAttributes(attributes);
        return;
      }
      case 'agent.step': {
        const model = usage.get(event.nodeId)?.model;
        const { inputTokens, outputTokens, cacheCreationInputTokens, cacheReadInputTokens } = event.tokens;
        const attributes: Attributes = {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'anthropic',
          'gen_ai.usage.input_tokens': inputTokens,
          'gen_ai.usage.output_tokens': outputTokens,
          'gen_ai.response.finish_reasons': [event.stopReason],
          'rx.agent.step': event.step,
          'rx.agent.tool_calls': event.toolCalls,
        };
        if (model !== undefined) attributes['gen_ai.request.model'] = model;
        if (cacheCreationInputTokens !== undefined) attributes['gen_ai.usage.cache_creation.input_tokens'] = cacheCreationInputTokens;
        if (cacheReadInputTokens !== undefined) attributes['gen_ai.usage.cache_read.input_tokens'] = cacheReadInputTokens;
        const name = model === undefined ? 'chat' : `chat ${model}`;
        const open = openSteps.get(event.nodeId);
        let span: Span;
        if (open?.step === event.step) {
          // Opened by the step's call: completed here.
          span = open.span.updateName(name).setAttributes(attributes);
          openSteps.delete(event.nodeId);
        } else span = tracer.startSpan(name, { startTime: event.at - event.durationMs, attributes }, childOf(attempts.get(event.nodeId)));
        span.end(event.at);
        steps.set(event.nodeId, span);
        return;
      }
      case 'agent.retrying':
        attempts.get(event.nodeId)?.addEvent('call retry', { 'rx.agent.step': event.step, 'rx.agent.call_attempt': event.callAttempt, 'rx.retry.delay_ms': event.delayMs, 'rx.error.message': event.error.message }, event.at);
        return;
      case 'tool.called': {
        const span = tracer.startSpan(
          `execute_tool ${event.tool}`,
          { startTime: event.at, attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': event.tool, 'gen_ai.tool.call.id': event.toolUseId, 'rx.agent.step': event.step } },
          childOf(steps.get(event.nodeId) ?? attempts.get(event.nodeId)),
        );
        let open = tools.get(event.nodeId);
        if (!open) tools.set(event.nodeId, (open = new Map()));
        open.set(event.toolUseId, span);
        return;
      }
      case 'tool.succeeded':
      case 'tool.failed': {
        const open = tools.get(event.nodeId);
        const span = open?.get(event.toolUseId);
        if (!span) return;
        if (event.type === 'tool.failed') {
          span.setAttributes({ 'error.type': event.error.code ?? event.error.name, 'rx.tool.handling': event.handling });
          span.setStatus({ code: SpanStatusCode.ERROR, message: event.error.message });
        } else span.setAttribute('rx.tool.result_chars', event.resultChars);
        span.end(event.at);
        open!.delete(event.toolUseId);
        return;
      }
      case 'node.succeeded':
      case 'node.fellBack':
      case 'node.failed':
      case 'node.timedOut': {
        const failed = event.type === 'node.failed' || event.type === 'node.timedOut';
        endAttempt(event.nodeId, event.at, failed ? event.error : undefined);
        const node = nodes.get(event.nodeId);
        node?.setAttributes({ 'rx.node.status': event.type.slice(5), 'rx.node.attempts': event.attempts });
        if (failed) node?.setStatus({ code: SpanStatusCode.ERROR, message: event.error.message });
        if (event.type === 'node.fellBack') node?.addEvent('fallback', { 'rx.fallback.reason': event.reason, 'rx.fallback.via': event.via }, event.at);
        node?.end(event.at);
        nodes.delete(event.nodeId);
        usage.delete(event.nodeId);
        return;
      }
      case 'node.skipped':
        endAttempt(event.nodeId, event.at);
        nodes.get(event.nodeId)?.end(event.at);
        nodes.delete(event.nodeId);
        usage.delete(event.nodeId);
        return;
      case 'run.completed':
        for (const [id] of attempts) endAttempt(id, event.at);
        for (const span of nodes.values()) span.end(event.at);
        nodes.clear();
        runSpan?.setAttributes({ 'rx.run.status': event.summary.status, 'rx.run.cost_usd': event.summary.usage.total.costUsd, 'rx.run.makespan_ms': event.summary.makespanMs });
        if (event.summary.status === 'failed') runSpan?.setStatus({ code: SpanStatusCode.ERROR });
        runSpan?.end(event.at);
        return;
      default:
        return;
    }
  };
}
