// The learning-rate schedule's math lives in src/util/schedule.ts (a leaf
// module: the kernels' clip + update reads it too, and kernels import
// nothing of the engine). Re-exported here for the engine's own imports.
export { lrScheduleFrom, lrScheduleFromText, lrAt, describeLrSchedule, type LrScheduleSpec } from '../util/schedule';
