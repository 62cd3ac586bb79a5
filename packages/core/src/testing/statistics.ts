/**
 * Pearson's chi-square statistic of observed counts against equal expected counts (the uniform
 * hypothesis). Used by the fairness checks of random admission and the pre-queue shuffle, in the
 * conformance suite and the core tests.
 */
export function chiSquareUniform(observed: readonly number[]): number {
  const total = observed.reduce((a, b) => a + b, 0);
  const expected = total / observed.length;
  return observed.reduce((sum, count) => sum + (count - expected) ** 2 / expected, 0);
}

/**
 * The chi-square value exceeded with probability about 1 in 10,000 under the null hypothesis
 * (Wilson–Hilferty approximation, z = 3.719). A fair shuffle fails a check at this level once in
 * ten thousand runs; a biased one (say, early arrivals favoured) fails it every time.
 */
export function chiSquareCritical(degreesOfFreedom: number, z = 3.719): number {
  const k = degreesOfFreedom;
  const t = 2 / (9 * k);
  return k * (1 - t + z * Math.sqrt(t)) ** 3;
}

/**
 * Chi-square of independence over a contingency table (rows × columns): whether the column an
 * item lands in depends on its row, e.g. whether the position after a shuffle depends on the
 * arrival order. Returns the statistic and its degrees of freedom.
 */
export function chiSquareIndependence(table: readonly (readonly number[])[]): { chi2: number; df: number } {
  const rows = table.length;
  const columns = table[0]?.length ?? 0;
  const rowTotals = table.map((row) => row.reduce((a, b) => a + b, 0));
  const columnTotals = Array.from({ length: columns }, (_, c) =>
    table.reduce((sum, row) => sum + row[c]!, 0),
  );
  const total = rowTotals.reduce((a, b) => a + b, 0);
  let chi2 = 0;
  for (let r = 0; r < rows; r += 1) {
    for (let c = 0; c < columns; c += 1) {
      const expected = (rowTotals[r]! * columnTotals[c]!) / total;
      if (expected > 0) chi2 += (table[r]![c]! - expected) ** 2 / expected;
    }
  }
  return { chi2, df: (rows - 1) * (columns - 1) };
}
