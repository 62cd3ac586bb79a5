/**
 * `@seatrush/core/testing`: a clock that moves only when told, and the chi-square statistics the
 * fairness checks (the conformance suite's, core's own) judge a shuffle with.
 */
export { ManualClock } from '../memory/manual-clock';
export { chiSquareCritical, chiSquareIndependence, chiSquareUniform } from '../testing/statistics';
