export { SchedulerController, type SchedulerOptions } from './scheduler-controller.js';
export { schedule, countLoads, needsScheduling, nodeFitFailure, ZONE_LABEL, type NodeLoad, type PlacedPod, type ScheduleResult } from './schedule.js';
export { toleratesTaint } from './tolerations.js';
