import { TASK_PRIORITIES, type TaskPriority } from '../agents/task.js';

/**
 * A queue ordered by priority (`high`, `normal`, `low`), then by arrival: one FIFO lane per
 * priority. `remove` takes out an entry that left early (cancelled, expired).
 *
 * ## Example
 * ```ts
 * import { PriorityTaskQueue } from 'rx-orchestra/patterns';
 * const q = new PriorityTaskQueue<{ id: string; priority: 'high' | 'normal' | 'low' }>();
 * q.push({ id: 'a', priority: 'low' }); q.push({ id: 'b', priority: 'high' });
 * q.shift()?.id; // 'b'
 * ```
 */
export class PriorityTaskQueue<E extends { readonly priority: TaskPriority }> {
  readonly #lanes: Record<TaskPriority, E[]> = { high: [], normal: [], low: [] };
  #size = 0;

  /** Entries waiting. */
  get size(): number {
    return this.#size;
  }

  push(entry: E): void {
    this.#lanes[entry.priority].push(entry);
    this.#size += 1;
  }

  /** Takes out the most urgent entry, the earliest among equals. */
  shift(): E | undefined {
    for (const priority of TASK_PRIORITIES) {
      const lane = this.#lanes[priority];
      if (lane.length > 0) {
        this.#size -= 1;
        return lane.shift();
      }
    }
    return undefined;
  }

  /** Takes out this entry; false when it was not queued. */
  remove(entry: E): boolean {
    const lane = this.#lanes[entry.priority];
    const at = lane.indexOf(entry);
    if (at < 0) return false;
    lane.splice(at, 1);
    this.#size -= 1;
    return true;
  }
}
