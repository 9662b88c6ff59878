/**
 * The executor's ready set: a binary max-heap of node indices ordered by priority (longest
 * remaining path), ties broken by definition order so runs are deterministic.
 */
export class ReadyQueue {
  readonly #heap: number[] = [];
  constructor(private readonly priority: ArrayLike<number>) {}

  get size(): number {
    return this.#heap.length;
  }

  push(node: number): void {
    const heap = this.#heap;
    heap.push(node);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#before(node, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = node;
  }

  /** Removes and returns the highest-priority node; undefined when empty. */
  pop(): number | undefined {
    const heap = this.#heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && this.#before(heap[right]!, heap[left]!) ? right : left;
      if (!this.#before(heap[child]!, last)) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
    return top;
  }

  #before(a: number, b: number): boolean {
    const pa = this.priority[a]!;
    const pb = this.priority[b]!;
    return pa > pb || (pa === pb && a < b);
  }
}

/**
 * A first-in first-out list of node indices that takes and adds in O(1) (an array's `shift` moves
 * every element: quadratic for a 10,000-child fan-out of subgraphs). Empties itself when drained.
 */
export class FifoList {
  readonly #items: number[] = [];
  #head = 0;

  get size(): number {
    return this.#items.length - this.#head;
  }

  push(node: number): void {
    this.#items.push(node);
  }

  /** Removes and returns the oldest entry; call only when `size > 0`. */
  take(): number {
    const node = this.#items[this.#head++]!;
    if (this.#head === this.#items.length) {
      this.#items.length = 0;
      this.#head = 0;
    }
    return node;
  }
}
