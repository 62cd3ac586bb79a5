/**
 * `@seatrush/core/testing`: a clock that moves only when told, the chi-square statistics the
 * fairness checks (the conformance suite's, core's own) judge a shuffle with, and the seat rows
 * test sales are built of.
 */
export { ManualClock } from '../memory/manual-clock';
export { seatRow } from '../testing/seats';
export { chiSquareCritical, chiSquareIndependence, chiSquareUniform } from '../testing/statistics';
