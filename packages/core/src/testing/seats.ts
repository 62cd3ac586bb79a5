/**
 * A row of `count` seats, `<seatPrefix>1`…`<seatPrefix><count>` (the row's id unless said), each
 * labelled with its id unless `label` says otherwise, all of one tier (`std` unless said) or of
 * the tier `tier(n)` gives seat `n`. The sale definitions of tests and examples build their rows
 * with it, so a seat's id, label and tier are written once.
 */
export function seatRow(
  id: string,
  count: number,
  options: {
    tier?: string | ((n: number) => string);
    seatPrefix?: string;
    label?: (n: number) => string;
  } = {},
) {
  const { tier = 'std', seatPrefix = id } = options;
  const tierOf = typeof tier === 'string' ? () => tier : tier;
  const label = options.label ?? ((n: number) => `${seatPrefix}${n}`);
  return {
    id,
    seats: Array.from({ length: count }, (_, i) => ({
      id: `${seatPrefix}${i + 1}`,
      label: label(i + 1),
      tier: tierOf(i + 1),
    })),
  };
}
