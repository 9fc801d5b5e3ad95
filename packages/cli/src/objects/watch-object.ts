import { isApiError, Reason, type KubeClient, type ResourceName, type ResourceTypes } from '@kemu/api';

/** Consecutive failed watch streams (no event in between) before giving up. */
const MAX_RESTARTS = 10;

export interface WatchObjectOptions<R extends ResourceName> {
  /** 0: no deadline */
  timeoutMs: number;
  /**
   * Called with each version of the object (undefined once it is gone); returns true when
   * the wait is over. Throwing ends the wait with that error.
   */
  check(obj: ResourceTypes[R] | undefined): boolean;
}

/**
 * Waits on one object: reads it, then watches it by name from that version, calling
 * `check` on every version seen. A stream that ends is resumed by reading the object again
 * (bounded); the first read's errors (NotFound aside) are thrown. Resolves 'done' or
 * 'timeout'.
 */
export async function watchObject<R extends ResourceName>(
  client: KubeClient,
  r: R,
  namespace: string,
  name: string,
  o: WatchObjectOptions<R>,
): Promise<'done' | 'timeout'> {
  const deadline = o.timeoutMs > 0 ? Date.now() + o.timeoutMs : Infinity;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    if (deadline !== Infinity) timer = setTimeout(() => resolve('timeout'), o.timeoutMs);
  });
  try {
    for (let restarts = 0; restarts < MAX_RESTARTS; restarts++) {
      const current = await Promise.race([readObject(client, r, namespace, name), timedOut]);
      if (current === 'timeout') return 'timeout';
      if (o.check(current)) return 'done';
      let finished = false;
      let failure: Error | undefined;
      const outcome = await new Promise<'done' | 'ended' | 'timeout'>((resolve) => {
        const handle = client.watch(
          r,
          { namespace, fieldSelector: `metadata.name=${name}`, resourceVersion: current?.metadata?.resourceVersion ?? '' },
          (e) => {
            if (finished || e.type === 'BOOKMARK' || e.type === 'ERROR') return;
            try {
              if (o.check(e.type === 'DELETED' ? undefined : e.object)) {
                finished = true;
                handle.close();
                resolve('done');
              }
            } catch (err) {
              failure = err instanceof Error ? err : new Error(String(err));
              finished = true;
              handle.close();
              resolve('done');
            }
          },
        );
        handle.done.then(
          () => resolve('ended'),
          () => resolve('ended'),
        );
        void timedOut.then((t) => {
          handle.close();
          resolve(t);
        });
      });
      if (failure !== undefined) throw failure;
      if (outcome !== 'ended') return outcome;
      await new Promise((res) => setTimeout(res, Math.min(2000, 100 * 2 ** restarts)));
    }
    throw new Error(`watch of ${r}/${name} kept failing; giving up`);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

async function readObject<R extends ResourceName>(client: KubeClient, r: R, namespace: string, name: string): Promise<ResourceTypes[R] | undefined> {
  try {
    return await client.get(r, namespace, name);
  } catch (err) {
    if (isApiError(err, Reason.NotFound)) return undefined;
    throw err;
  }
}
