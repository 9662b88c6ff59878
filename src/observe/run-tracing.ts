import type * as OpenTelemetry from '@opentelemetry/api';
import type { Attributes, Span, Tracer } from '@opentelemetry/api';
import { loadPeer } from '../peer/load-peer.js';
import type { RunEvent } from '../run/events.js';

/**
 * Turns a run's events into OpenTelemetry spans: one per run, one per node (child of the run) and
 * one per attempt (child of the node), with retry and error events and token/cost attributes.
 * Through `@opentelemetry/api`: with no SDK registered every call is a no-op, so it costs nothing.
 * Span times are the events' timestamps.
 *
 * ## Example
 * ```ts
 * import { execute } from 'rx-orchestra';
 * import { traceRunEvents } from 'rx-orchestra/observe';
 * execute(g).pipe(tap(traceRunEvents())).subscribe();
 * ```
 */
export function traceRunEvents(tracer?: Tracer): (event: RunEvent) => void {
  const { ROOT_CONTEXT, SpanStatusCode, trace } = loadPeer<typeof OpenTelemetry>('@opentelemetry/api'); // throws MISSING_PEER naming the fix
  tracer ??= trace.getTracer('rx-orchestra');
  let runSpan: Span | undefined;
  const nodes = new Map<string, Span>();
  const attempts = new Map<string, Span>();
  const endAttempt = (nodeId: string, at: number, error?: { name: string; message: string; code?: string }) => {
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
        attempts.set(event.nodeId, tracer.startSpan(`rx.attempt ${event.nodeId} #${event.attempt}`, { startTime: event.at, attributes: { 'rx.attempt': event.attempt } }, childOf(node)));
        return;
      }
      case 'node.retrying':
        nodes.get(event.nodeId)?.addEvent('retry', { 'rx.attempt': event.attempt, 'rx.retry.delay_ms': event.delayMs, 'rx.error.message': event.error.message }, event.at);
        endAttempt(event.nodeId, event.at, event.error);
        return;
      case 'node.usage': {
        const attributes: Attributes = {
          'gen_ai.request.model': event.model,
          'gen_ai.usage.input_tokens': event.usage.inputTokens,
          'gen_ai.usage.output_tokens': event.usage.outputTokens,
          'rx.cost_usd': event.costUsd,
        };
        attempts.get(event.nodeId)?.setAttributes(attributes);
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
        return;
      }
      case 'node.skipped':
        endAttempt(event.nodeId, event.at);
        nodes.get(event.nodeId)?.end(event.at);
        nodes.delete(event.nodeId);
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
