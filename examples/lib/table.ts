/**
 * A plain-text table for terminal summaries: columns padded to their widest cell, numbers
 * right-aligned.
 */

/**
 * Formats rows under a header as aligned text lines.
 *
 * ## Example
 * ```ts
 * console.log(formatTable(['mode', 'makespan'], [['sequential', '8.24 s'], ['parallel', '2.11 s']]));
 * ```
 */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, c) => Math.max(title.length, ...rows.map((row) => (row[c] ?? '').length)));
  const numeric = header.map((_, c) => rows.every((row) => /^(—|[-+]?\d[\d.,]*( ?(%|s))?)$/.test(row[c] ?? '')));
  const line = (cells: readonly string[]) =>
    cells.map((cell, c) => (numeric[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
