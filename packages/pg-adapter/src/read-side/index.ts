export { PgProjector, type ProjectorProgress } from './pg-projector';
export { PgReadModel, type SeatHolder } from './pg-read-model';
export { PROJECTED_EVENT_TYPES } from './projection';
export {
  DEFAULT_MAX_STALENESS_MS,
  type FallbackReason,
  PROJECTOR_GROUP,
  ReadSide,
  type ReadSideOptions,
  type ServedRead,
  type ViewRead,
} from './read-side';
export { compareReadSides, type ReadSideDifference, type ReadSideRebuild, rebuildReadSide } from './rebuild';
export { ProjectionStaleness } from './staleness';
