// Helpers shared by this folder's tests only.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Entry, StorageLogger } from './types.js';

/** Runs `body` with a fresh directory under os.tmpdir(), removed afterwards. */
export async function withTempDir<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'kemu-wal-test-'));
  try {
    return await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Entry whose data encodes its own index and term, so tests can check content. */
export function entry(index: number, term = 1, size = 8): Entry {
  const data = new Uint8Array(size);
  const text = new TextEncoder().encode(`${term}:${index}`);
  data.set(text.subarray(0, size));
  return { term, index, data };
}

export function entries(from: number, to: number, term = 1): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++) out.push(entry(i, term));
  return out;
}

/** Segment file names in `dir`, oldest first. */
export async function segmentFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.endsWith('.wal')).sort();
}

export interface RecordedWarning {
  message: string;
  fields: Record<string, unknown> | undefined;
}

export function recordingLogger(): StorageLogger & { warnings: RecordedWarning[] } {
  const warnings: RecordedWarning[] = [];
  return {
    warnings,
    warn(message, fields) {
      warnings.push({ message, fields });
    },
  };
}
