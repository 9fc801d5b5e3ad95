// fetch() with a deadline that keeps the process alive while it waits. AbortSignal.timeout()
// uses an unref'd timer, and while undici's socket is not yet (or no longer) ref'd, a pending
// request can leave nothing holding the event loop open: Node then exits, or the test runner
// cancels the test, with the promise never settled (seen once in CI). A plain timer holds it.

/** GET (or `init`) `url` and read the whole body, both within `timeoutMs`; rejects on no answer. */
export async function fetchText(url: string | URL, timeoutMs: number, init: RequestInit = {}): Promise<{ status: number; ok: boolean; text: string }> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new DOMException(`${String(url)}: no answer within ${timeoutMs} ms`, 'TimeoutError')), timeoutMs);
  try {
    const res = await fetch(url, { ...init, signal: abort.signal });
    return { status: res.status, ok: res.ok, text: await res.text() };
  } finally {
    clearTimeout(timer);
  }
}
