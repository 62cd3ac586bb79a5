/** `@seatrush/core/testing`: a clock that moves only when told. */
export { ManualClock } from '../memory/manual-clock';
