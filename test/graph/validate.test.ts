import { describe, expect, it, vi } from 'vitest';
import { GraphError, graph, graphFromNodes, isGraphError } from 'rx-orchestra';

const value = () => Promise.resolve(1);

function errorOf(build: () => unknown): GraphError {
  try {
    build();
  } catch (error) {
    if (isGraphError(error)) return error;
    throw error;
  }
  throw new Error('expected a GraphError');
}

describe('graph validation at definition time', () => {
  it('rejects a duplicate id, naming it', () => {
    const error = errorOf(() => graphFromNodes([{ id: 'a', run: value }, { id: 'b', run: value }, { id: 'a', run: value }]));
    expect(error).toMatchObject({ code: 'DUPLICATE_ID', nodeId: 'a', message: "duplicate node id 'a'" });
  });

  it('rejects unknown dependencies, naming the node and every missing id', () => {
    const error = errorOf(() => graphFromNodes([{ id: 'a', run: value }, { id: 'b', deps: ['a', 'x', 'y'], run: value }]));
    expect(error).toMatchObject({ code: 'UNKNOWN_DEPENDENCY', nodeId: 'b', message: "node 'b' depends on unknown nodes 'x', 'y'" });
  });

  it('rejects a self-dependency', () => {
    const error = errorOf(() => graphFromNodes([{ id: 'loop', deps: ['loop'], run: value }]));
    expect(error).toMatchObject({ code: 'SELF_DEPENDENCY', nodeId: 'loop' });
  });

  it('rejects a cycle and shows its path', () => {
    const error = errorOf(() =>
      graphFromNodes([
        { id: 'start', run: value },
        { id: 'a', deps: ['start', 'c'], run: value },
        { id: 'b', deps: ['a'], run: value },
        { id: 'c', deps: ['b'], run: value },
      ]),
    );
    expect(error.code).toBe('CYCLE');
    expect(error.message).toBe('dependency cycle: a -> c -> b -> a');
    expect(error.path).toEqual(['a', 'c', 'b', 'a']);
  });

  it('finds a cycle in a large graph without overflowing the stack', () => {
    const nodes = Array.from({ length: 50_000 }, (_, i) => ({ id: `n${i}`, deps: [`n${(i + 1) % 50_000}`], run: value }));
    expect(errorOf(() => graphFromNodes(nodes)).code).toBe('CYCLE');
  });

  it('rejects bad node settings, naming node and field', () => {
    expect(errorOf(() => graph().node('slow', { run: value, timeout: -5 }).build())).toMatchObject({
      code: 'INVALID_NODE',
      nodeId: 'slow',
      details: { field: 'timeout' },
    });
    expect(errorOf(() => graph().node('r', { run: value, retry: { count: 1.5 } }).build()).message).toBe(
      "node 'r': retry: 'count' must be an integer >= 0, got 1.5",
    );
    expect(errorOf(() => graphFromNodes([{ id: 'e', run: value, estimate: Number.NaN }])).details.field).toBe('estimate');
    expect(errorOf(() => graphFromNodes([])).code).toBe('EMPTY_GRAPH');
  });

  it('runs nothing for an invalid graph', () => {
    const run = vi.fn(value);
    expect(() => graphFromNodes([{ id: 'a', run }, { id: 'b', deps: ['nope'], run }])).toThrow(GraphError);
    expect(run).not.toHaveBeenCalled();
  });

  it('is a typed error with a code and retryable: false', () => {
    const error = errorOf(() => graphFromNodes([{ id: 'a', deps: ['a'], run: value }]));
    expect(error).toBeInstanceOf(GraphError);
    expect(error.name).toBe('GraphError');
    expect(error.retryable).toBe(false);
  });
});
