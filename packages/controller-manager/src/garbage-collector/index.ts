export { GarbageCollectorController } from './garbage-collector-controller.js';
export { judgeDependent, type Verdict } from './verdict.js';
export { resolveOwner, WATCHED_RESOURCES } from './owners.js';
