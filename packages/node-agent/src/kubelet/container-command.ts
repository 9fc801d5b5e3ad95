import type { core } from '@kemu/api';
import { WORKLOAD_IMAGES, workloadForImage } from '../workloads/workload-image.js';
import { expandVars } from './container-env.js';

export interface WorkloadRuntime {
  /** The node binary that runs built-in workloads (process.execPath). */
  nodePath: string;
  /** dist/workloads/main.js */
  workloadsMain: string;
}

export type CommandResult =
  | { ok: true; file: string; args: string[] }
  | { ok: false; reason: 'ErrImagePull'; message: string };

/**
 * The program a container runs. As with an image's ENTRYPOINT/CMD: `command` replaces the
 * entrypoint (a built-in image's workload program), `args` are its arguments. kemu pulls
 * no images, so any other image must say what to run in `command`. `$(VAR)` references
 * in both are expanded from `vars`.
 */
export function containerCommand(container: core.Container, vars: ReadonlyMap<string, string>, rt: WorkloadRuntime): CommandResult {
  const expand = (s: string): string => expandVars(s, [vars]);
  const command = (container.command ?? []).map(expand);
  const args = (container.args ?? []).map(expand);
  const image = container.image ?? '';
  if (command.length > 0) return { ok: true, file: command[0]!, args: [...command.slice(1), ...args] };
  const workload = workloadForImage(image);
  if (workload) return { ok: true, file: rt.nodePath, args: [rt.workloadsMain, workload, ...args] };
  return {
    ok: false,
    reason: 'ErrImagePull',
    message:
      `kemu cannot pull image "${image}": it runs containers as local processes, so a container needs a "command" ` +
      `unless its image is one of ${Object.keys(WORKLOAD_IMAGES).join(', ')}`,
  };
}
