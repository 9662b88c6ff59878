/**
 * "Did you mean …?" for mistyped flags, commands and model ids. Pure.
 * @module
 */
import { CLAUDE_PRICES } from '../models/pricing.js';

/**
 * The candidate closest to `word` by edit distance (insertions, deletions, substitutions and swaps
 * of neighbours, case-insensitive), when it is close enough to be a typo: at most a third of the
 * word's length (at least 1, at most 3) edits away. Ties go to the earlier candidate.
 *
 * ## Example
 * ```ts
 * import { closest } from './suggest.js';
 * closest('concurency', ['concurrency', 'budget']); // 'concurrency'
 * closest('zzz', ['concurrency', 'budget']);        // undefined
 * ```
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.min(3, Math.max(1, Math.floor(word.length / 3)));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    if (candidate === word) return candidate;
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance <= limit && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/**
 * `; did you mean <x>?` for {@link closest}, or `''` when nothing is close.
 *
 * ## Example
 * ```ts
 * import { didYouMean } from './suggest.js';
 * `unknown option '--concurency'${didYouMean('--concurency', ['--concurrency'])}`; // "unknown option '--concurency'; did you mean --concurrency?"
 * ```
 */
export function didYouMean(word: string, candidates: Iterable<string>, quote = (s: string) => s): string {
  const match = closest(word, candidates);
  return match === undefined || match === word ? '' : `; did you mean ${quote(match)}?`;
}

/** Optimal string alignment distance (Damerau-Levenshtein without repeated edits of a substring). */
function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d = Array.from({ length: rows }, (_, i) => {
    const row = new Array<number>(cols).fill(0);
    row[0] = i;
    return row;
  });
  for (let j = 0; j < cols; j++) d[0]![j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, d[i - 2]![j - 2]! + 1);
      d[i]![j] = value;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * For the message of an `UNKNOWN_MODEL_PRICE` error (`no price for model 'claude-haiku-45'; …`):
 * `; did you mean 'claude-haiku-4-5'?` when the id is close to one of the priced models
 * (`CLAUDE_PRICES`), else `''`.
 *
 * ## Example
 * ```ts
 * import { unknownModelHint } from './suggest.js';
 * unknownModelHint("node 'plan': no price for model 'claude-sonet-4-5'; add it …"); // "; did you mean 'claude-sonnet-4-5'?"
 * ```
 */
export function unknownModelHint(message: string): string {
  const model = /no price for model '([^']+)'/.exec(message)?.[1];
  if (model === undefined) return '';
  const undated = model.replace(/-\d{8}$/, '');
  return didYouMean(undated, Object.keys(CLAUDE_PRICES).filter((id) => id !== 'simulated'), (id) => `'${id}'`);
}
