import type { Subscriber } from 'rxjs';
import type { ModelEvent } from '../model.js';

/**
 * Text (or thinking) deltas that arrive in one burst of real I/O, passed on as one event. The SDK
 * parses every server-sent event of the socket data it reads, one microtask after the other; a
 * burst ends when that work is done (`process.nextTick`, which runs once the microtask queue is
 * empty), or earlier at any other event (another kind of delta, a block's end, the answer, an
 * error), so the order of what the call emits does not change, only how many pieces the text
 * comes in: one `node.token` per burst instead of one per delta (~130 per answer), each going
 * through the governor, the node and the run loop to every subscriber of the run.
 * @internal
 */
export class DeltaBurst {
  #kind: 'text' | 'thinking' = 'text';
  #text = '';
  #due = false;
  readonly #subscriber: Subscriber<ModelEvent>;
  readonly #flush = () => {
    this.#due = false;
    this.flush();
  };

  constructor(subscriber: Subscriber<ModelEvent>) {
    this.#subscriber = subscriber;
  }

  add(kind: 'text' | 'thinking', text: string): void {
    if (kind !== this.#kind) this.flush();
    this.#kind = kind;
    this.#text += text;
    if (!this.#due) {
      this.#due = true;
      process.nextTick(this.#flush);
    }
  }

  /** Passes on the burst so far, if any. */
  flush(): void {
    if (this.#text === '') return;
    const text = this.#text;
    this.#text = '';
    this.#subscriber.next({ type: this.#kind, text });
  }

  /** Forgets the burst (the call was unsubscribed). */
  drop(): void {
    this.#text = '';
  }
}
