/**
 * The page's connection to the dashboard's `GET /events` (Server-Sent Events), read with `fetch`
 * instead of `EventSource`, and reconnected the way `EventSource` reconnects.
 *
 * Why not `EventSource`: a page that joins a large run gets its snapshot as one SSE message of 5-10
 * MB, and Chromium's EventSource spent 200-300 ms handing it over (its line parser builds the
 * message a character at a time) where reading the same bytes with `fetch` took 45-160 ms (measured
 * in the headless Chromium of the late-join bench, 10,000 nodes). The framing our server writes is
 * small: `event:` and `data:` lines, messages ended by a blank line, `retry:` and `:` comments.
 */

/** One message: its `event:` type (`message` when none) and its `data:` lines joined by `\n`. */
export interface StreamMessage {
  type: string;
  data: string;
}

/**
 * Splits an event stream's text, fed in chunks as they arrive, into messages. Lines end with `\n`
 * (`\r\n` too); a chunk may end anywhere. A message's chunks are kept apart until its blank line
 * arrives and joined once, so a message of megabytes costs one copy (not one per chunk). Pure.
 *
 * ```ts
 * const parser = new EventStreamParser();
 * parser.push('event: batch\ndata: {"t":1,'); // []
 * parser.push('"events":[]}\n\n'); // [{ type: 'batch', data: '{"t":1,"events":[]}' }]
 * ```
 */
export class EventStreamParser {
  /** Text of the message being received, in the chunks it came in. */
  #pending: string[] = [];
  /** The last (up to 3) characters of `#pending`: a blank line may start there and end in the next chunk. */
  #tail = '';

  /** Feeds text; returns the messages it completed, in order. */
  push(chunk: string): StreamMessage[] {
    const messages: StreamMessage[] = [];
    const tail = this.#tail;
    const text = tail + chunk;
    const blank = /\r?\n\r?\n/g;
    let from = -1; // where the text after the last completed message starts; -1: none completed in this chunk
    for (let match = blank.exec(text); match; match = blank.exec(text)) {
      const body = from === -1 ? this.#pending.join('').slice(0, -tail.length || undefined) + text.slice(0, match.index) : text.slice(from, match.index);
      const message = parseMessage(body);
      if (message) messages.push(message);
      from = match.index + match[0].length;
    }
    if (from === -1) this.#pending.push(chunk);
    else this.#pending = from < text.length ? [text.slice(from)] : [];
    let last = '';
    for (let i = this.#pending.length - 1; i >= 0 && last.length < 3; i--) last = this.#pending[i]!.slice(-3) + last;
    this.#tail = last.slice(-3);
    return messages;
  }
}

/** A message's fields; undefined for one with no `data:` (comments, `retry:` alone). */
function parseMessage(text: string): StreamMessage | undefined {
  let type = 'message';
  const data: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + (line[colon + 1] === ' ' ? 2 : 1));
    if (field === 'event') type = value;
    else if (field === 'data') data.push(value);
  }
  return data.length === 0 ? undefined : { type, data: data.join('\n') };
}

/** What a connection reports. */
export interface StreamHandlers {
  /** The response came (200, an event stream): the stream is open. */
  open(): void;
  /** A message arrived. */
  message(message: StreamMessage): void;
  /** The connection failed or ended; `retrying`: it is opened again after `retryMs`. */
  error(retrying: boolean): void;
}

/**
 * Reads `url` as an event stream until {@link close}d: on a network error or the server ending the
 * response it reconnects after `retryMs` (as `EventSource` does); a response that is not a 200 event
 * stream ends it for good (as `EventSource` fails).
 *
 * ```ts
 * const stream = new EventStream('/events', { open() {}, message: ({ type, data }) => console.log(type, data.length), error() {} });
 * stream.close();
 * ```
 */
export class EventStream {
  readonly #url: string;
  readonly #handlers: StreamHandlers;
  readonly #retryMs: number;
  #abort: AbortController | undefined;
  #closed = false;

  constructor(url: string, handlers: StreamHandlers, retryMs = 1_000) {
    this.#url = url;
    this.#handlers = handlers;
    this.#retryMs = retryMs;
    void this.#connect();
  }

  /** Stops reading, and reconnecting. */
  close(): void {
    this.#closed = true;
    this.#abort?.abort();
  }

  async #connect(): Promise<void> {
    const abort = (this.#abort = new AbortController());
    let retry = true;
    try {
      const response = await fetch(this.#url, { signal: abort.signal, cache: 'no-store', headers: { accept: 'text/event-stream' } });
      if (!response.ok || !response.body || !(response.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
        retry = false;
        throw new Error(`not an event stream: ${response.status}`);
      }
      this.#handlers.open();
      const parser = new EventStreamParser();
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        for (const message of parser.push(value)) {
          if (this.#closed) return;
          this.#handlers.message(message);
        }
      }
    } catch {
      // a network error, an abort (closed), a response that is not a stream, or a handler that threw: said below
    }
    abort.abort(); // this connection is done with, whatever ended it (a handler's throw leaves it open otherwise)
    if (this.#closed) return;
    this.#handlers.error(retry);
    // eslint-disable-next-line no-restricted-globals -- a browser page, not resilience code: the reconnect delay is EventSource's own, on the page's clock
    if (retry) setTimeout(() => void (this.#closed || this.#connect()), this.#retryMs);
  }
}
