/** One benchmark figure, printed as a JSON line. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  note?: string;
}

/** Prints each figure as one JSON line, then a readable table. */
export function report(figures: readonly Figure[]): void {
  for (const figure of figures) console.log(JSON.stringify(figure));
  console.log('');
  const width = Math.max(...figures.map((f) => f.name.length));
  for (const { name, value, unit, note } of figures) {
    console.log(`${name.padEnd(width)}  ${String(value).padStart(10)} ${unit.padEnd(8)} ${note ?? ''}`);
  }
}
