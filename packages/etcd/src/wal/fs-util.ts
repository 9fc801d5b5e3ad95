import { mkdir, open, rename, type FileHandle } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

export function isNotFound(err: unknown): boolean {
  return err instanceof Error && (err as NodeJS.ErrnoException).code === 'ENOENT';
}

/**
 * Makes creations, renames and unlinks inside `dir` durable. Without this a crash can
 * forget a renamed-in segment or snapshot even though its contents were fsynced.
 */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Positional write that retries short writes; one syscall in the normal case. */
export async function writeAll(handle: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.byteLength) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.byteLength - done, position + done);
    if (bytesWritten <= 0) throw new Error(`write returned ${bytesWritten}`);
    done += bytesWritten;
  }
}

/** Writes a complete new file atomically: tmp file, fsync, rename, fsync of the directory. */
export async function writeFileDurably(dir: string, tmpPath: string, finalPath: string, chunks: readonly Uint8Array[]): Promise<void> {
  const handle = await open(tmpPath, 'w');
  try {
    let position = 0;
    for (const chunk of chunks) {
      await writeAll(handle, chunk, position);
      position += chunk.byteLength;
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmpPath, finalPath);
  await fsyncDir(dir);
}

/** mkdir -p, then fsyncs the parent of every directory it created so they survive a crash. */
export async function mkdirDurably(dir: string): Promise<void> {
  const firstCreated = await mkdir(dir, { recursive: true });
  if (firstCreated === undefined) return;
  const stop = dirname(resolve(firstCreated));
  for (let path = resolve(dir); path !== stop && path !== dirname(path); path = dirname(path)) {
    await fsyncDir(dirname(path));
  }
}
