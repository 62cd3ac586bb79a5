/** Pearson's chi-square of counts against equal expected counts (core cannot import the conformance package). */
export function chiSquareUniform(observed: readonly number[]): number {
  const expected = observed.reduce((a, b) => a + b, 0) / observed.length;
  return observed.reduce((sum, count) => sum + (count - expected) ** 2 / expected, 0);
}

/** The value a fair draw exceeds about once in 10,000 runs (Wilson–Hilferty, z = 3.719). */
export function chiSquareCritical(degreesOfFreedom: number): number {
  const t = 2 / (9 * degreesOfFreedom);
  return degreesOfFreedom * (1 - t + 3.719 * Math.sqrt(t)) ** 3;
}
