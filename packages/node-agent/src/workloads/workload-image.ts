import { fileURLToPath } from 'node:url';

/** The built-in workloads, by the name `main.js` takes as its first argument. */
export const WORKLOADS = ['echo', 'tcp-echo', 'udp-echo', 'client'] as const;
export type WorkloadName = (typeof WORKLOADS)[number];

/** Image repository -> workload. A tag or digest on the image is accepted and ignored. */
export const WORKLOAD_IMAGES: Readonly<Record<string, WorkloadName>> = {
  'kemu/echo': 'echo',
  'kemu/tcp-echo': 'tcp-echo',
  'kemu/udp-echo': 'udp-echo',
  'kemu/client': 'client',
};

export function isWorkloadName(s: string): s is WorkloadName {
  return (WORKLOADS as readonly string[]).includes(s);
}

/** The workload a container image runs (`kemu/echo`, `kemu/echo:1.0`, `kemu/echo@sha256:...`, `docker.io/kemu/echo`), if built in. */
export function workloadForImage(image: string): WorkloadName | undefined {
  let repo = image.trim();
  if (repo.startsWith('docker.io/')) repo = repo.slice('docker.io/'.length);
  const at = repo.indexOf('@');
  if (at >= 0) repo = repo.slice(0, at);
  const colon = repo.lastIndexOf(':');
  if (colon > repo.lastIndexOf('/')) repo = repo.slice(0, colon);
  return Object.hasOwn(WORKLOAD_IMAGES, repo) ? WORKLOAD_IMAGES[repo] : undefined;
}

/** Absolute path of the compiled entry point (`dist/workloads/main.js`). */
export const WORKLOAD_MAIN = fileURLToPath(new URL('./main.js', import.meta.url));

/** The argv that runs `workload` as its own process: `node .../main.js <workload> ...args`. */
export function workloadCommand(workload: WorkloadName, args: readonly string[]): { file: string; args: string[] } {
  return { file: process.execPath, args: [WORKLOAD_MAIN, workload, ...args] };
}
