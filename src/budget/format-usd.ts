/**
 * Formats USD for messages with at least `minDecimals` decimals (`0.84` → `'$0.84'`), and two
 * significant digits for amounts under a cent (`0.0042` → `'$0.0042'`); never exponent notation.
 * @internal
 */
export function formatUsd(usd: number, minDecimals = 2): string {
  if (!Number.isFinite(usd)) return `$${String(usd)}`;
  const abs = Math.abs(usd);
  const significant = abs === 0 || abs >= 0.01 ? 2 : Math.min(20, 1 - Math.floor(Math.log10(abs)));
  if (significant <= minDecimals) return `$${usd.toFixed(minDecimals)}`;
  const [whole, fraction = ''] = usd.toFixed(significant).split('.');
  return `$${whole}.${fraction.replace(/0+$/, '').padEnd(minDecimals, '0')}`;
}

/**
 * The number of decimals (at least two) that tells two amounts apart: `0.504` vs `0.5` needs 3.
 * @internal
 */
export function decimalsToTellApart(a: number, b: number): number {
  let decimals = 2;
  while (decimals < 10 && a !== b && a.toFixed(decimals) === b.toFixed(decimals)) decimals++;
  return decimals;
}
