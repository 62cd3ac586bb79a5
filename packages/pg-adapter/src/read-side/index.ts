export { PgProjector, type ProjectorProgress } from './pg-projector';
export { PgReadModel, type SeatHolder } from './pg-read-model';
export { PROJECTED_EVENT_TYPES } from './projection';
export { compareReadSides, type ReadSideDifference, type ReadSideRebuild, rebuildReadSide } from './rebuild';
