import type { core } from '@kemu/api';
import { expandVars } from './container-env.js';

/** The programs behind kemu's built-in images (src/workloads). */
export const BUILTIN_WORKLOADS = ['echo', 'tcp-echo', 'udp-echo', 'client'] as const;
export type BuiltinWorkload = (typeof BUILTIN_WORKLOADS)[number];

const BUILTIN_IMAGE = /^(?:docker\.io\/)?kemu\/([a-z-]+)(?::[\w.-]+)?(?:@[\w:]+)?$/;

/** The built-in workload an image names (`kemu/echo`, `kemu/tcp-echo:1.2`, ...), if any. */
export function builtinWorkload(image: string): BuiltinWorkload | undefined {
  const m = BUILTIN_IMAGE.exec(image.trim());
  const name = m?.[1];
  return BUILTIN_WORKLOADS.find((w) => w === name);
}

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
  const workload = builtinWorkload(image);
  if (workload) return { ok: true, file: rt.nodePath, args: [rt.workloadsMain, workload, ...args] };
  return {
    ok: false,
    reason: 'ErrImagePull',
    message:
      `kemu cannot pull image "${image}": it runs containers as local processes, so a container needs a "command" ` +
      `unless its image is one of ${BUILTIN_WORKLOADS.map((w) => `kemu/${w}`).join(', ')}`,
  };
}
