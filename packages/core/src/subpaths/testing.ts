/**
 * `@seatrush/core/testing`: a clock that moves only when told, the chi-square statistics the
 * fairness checks (the conformance suite's, core's own) judge a shuffle with, and the test sales
 * and seat rows tests build their sale definitions from.
 */
export { ManualClock } from '../memory/manual-clock';
export { seatedTestSale, testSale } from '../testing/sales';
export { seatRow } from '../testing/seats';
export { chiSquareCritical, chiSquareIndependence, chiSquareUniform } from '../testing/statistics';
