/**
 * The page's event stream: the parser gives the messages the dashboard server writes whole and in
 * order however the bytes are cut into chunks, with `\n` or `\r\n` line ends (comments and `retry:`
 * alone make no message); the connection (fetch, in Node as in the page) reconnects after a cut and
 * gives up on a response that is not a stream, as `EventSource` does. Real HTTP on loopback.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventStream, EventStreamParser, type StreamHandlers, type StreamMessage } from '../../src/ui/page/event-stream.js';

const encode = (m: StreamMessage, eol = '\n') => `event: ${m.type}${eol}${m.data.split('\n').map((line) => `data: ${line}${eol}`).join('')}${eol}`;

/** Cuts `text` at the given fractions. */
const cut = (text: string, at: readonly number[]) => {
  const points = [...new Set(at.map((f) => Math.floor(f * text.length)))].sort((a, b) => a - b);
  return [0, ...points].map((p, i, all) => text.slice(p, all[i + 1] ?? text.length)).filter((piece) => piece.length > 0);
};

describe('EventStreamParser', () => {
  it('gives every message whole and in order, however the stream is cut', () => {
    const message = fc.record({ type: fc.constantFrom('batch', 'end'), data: fc.string({ maxLength: 60 }).map((s) => s.replace(/[\r]/g, '')) });
    fc.assert(
      fc.property(fc.array(message, { maxLength: 8 }), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 }), fc.constantFrom('\n', '\r\n'), (messages, at, eol) => {
        const text = `retry: 1000${eol}${eol}: a comment${eol}${eol}${messages.map((m) => encode(m, eol)).join('')}`;
        const parser = new EventStreamParser();
        const got = cut(text, at).flatMap((piece) => parser.push(piece));
        expect(got).toEqual(messages);
      }),
    );
  });

  it('hands over a message of megabytes, sent in 64 KiB chunks, once', () => {
    const data = JSON.stringify({ t: 1, events: Array.from({ length: 40_000 }, (_, i) => ({ type: 'node.token', nodeId: `n${i}`, text: 'lorem ipsum dolor sit amet' })) });
    const text = `event: batch\ndata: ${data}\n\nevent: end\ndata: {}\n\n`;
    const parser = new EventStreamParser();
    const got: StreamMessage[] = [];
    for (let i = 0; i < text.length; i += 65_536) got.push(...parser.push(text.slice(i, i + 65_536)));
    expect(data.length).toBeGreaterThan(2_000_000);
    expect(got.map((m) => m.type)).toEqual(['batch', 'end']);
    expect(got[0]!.data).toBe(data);
  });

  it('splits the blank line that ends a message across two chunks', () => {
    const parser = new EventStreamParser();
    expect(parser.push('event: batch\ndata: {"a":1}\n')).toEqual([]);
    expect(parser.push('\nevent: end\ndata: {}\r\n')).toEqual([{ type: 'batch', data: '{"a":1}' }]);
    expect(parser.push('\r\n')).toEqual([{ type: 'end', data: '{}' }]);
  });
});

describe('EventStream', () => {
  /** A loopback server whose n-th response (from 0) is `respond(n, res)`. */
  async function server(respond: (n: number, res: ServerResponse) => void): Promise<{ url: string; requests: () => number; close(): Promise<void> }> {
    let n = 0;
    const http = createServer((_req, res) => respond(n++, res));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const { port } = http.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}/events`, requests: () => n, close: () => new Promise((resolve) => http.close(() => resolve())) };
  }

  /** What a stream reported, as lines. */
  function record(): { lines: string[]; handlers: StreamHandlers; until(line: string): Promise<void> } {
    const lines: string[] = [];
    const waiters: { line: string; resolve(): void }[] = [];
    const push = (line: string) => {
      lines.push(line);
      for (const w of waiters.filter((w) => w.line === line)) w.resolve();
    };
    return {
      lines,
      handlers: { open: () => push('open'), message: (m) => push(`${m.type} ${m.data}`), error: (retrying) => push(retrying ? 'error, retrying' : 'error, done') },
      until: (line) => (lines.includes(line) ? Promise.resolve() : new Promise((resolve) => waiters.push({ line, resolve }))),
    };
  }

  it('reconnects after the server cuts it, as EventSource does, and stops when closed', async () => {
    const sse = await server((n, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
      if (n === 0) {
        res.write('retry: 1000\n\nevent: batch\ndata: {"first":true}\n\nevent: batch\ndata: {"cut":');
        setImmediate(() => res.destroy()); // cut mid-message: that message is lost, the next connection resyncs
      } else res.end('event: batch\ndata: {"second":true}\n\nevent: end\ndata: {}\n\n');
    });
    const { lines, handlers, until } = record();
    const stream = new EventStream(sse.url, handlers, 5);
    try {
      await until('end {}');
      expect(lines.slice(0, 6)).toEqual(['open', 'batch {"first":true}', 'error, retrying', 'open', 'batch {"second":true}', 'end {}']);
      stream.close(); // (the page closes it on `end`; this server would be asked again every 5 ms otherwise)
      const asked = sse.requests();
      await new Promise((resolve) => setTimeout(resolve, 60));
      expect(sse.requests()).toBe(asked);
    } finally {
      stream.close();
      await sse.close();
    }
  });

  it('gives up on a response that is not an event stream, as EventSource fails', async () => {
    const http = await server((_n, res) => res.writeHead(404, { 'content-type': 'text/plain' }).end('not found'));
    const { lines, handlers, until } = record();
    const stream = new EventStream(http.url, handlers, 5);
    try {
      await until('error, done');
      await new Promise((resolve) => setTimeout(resolve, 50)); // a retry would have come by now (5 ms)
      expect(lines).toEqual(['error, done']);
      expect(http.requests()).toBe(1);
    } finally {
      stream.close();
      await http.close();
    }
  });
});
