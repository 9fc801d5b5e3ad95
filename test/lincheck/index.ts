/**
 * kemu's linearizability checker (Wing & Gong search with Lowe's just-in-time
 * linearization and memoization, P-compositional partitioning), used by the etcd
 * integration tests. See README.md.
 */
export type { Model, Operation, StepResult } from './model.js';
export { checkOperations, type CheckOptions, type CheckResult, type CheckVerdict } from './check.js';
export { describeOperation, type IllegalDetail } from './explain.js';
export {
  kvModel,
  KV_UNKNOWN,
  isUnknownOutput,
  dropUnknownReads,
  type KvInput,
  type KvOutput,
  type KvGetOutput,
  type KvCasOutput,
  type KvWriteOutput,
  type KvUnknownOutput,
  type KvOperation,
  type KvState,
} from './kv-model.js';
export { HistoryRecorder, type OperationHandle } from './recorder.js';
export { Prng } from './prng.js';
export { LincheckInputError } from './errors.js';
