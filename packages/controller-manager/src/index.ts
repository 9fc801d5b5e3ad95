export * from './controller.js';
export { WorkQueue } from './work-queue.js';
