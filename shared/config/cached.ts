/**
 * A value loaded at most once per ttlMs per isolate, e.g. the config on the ingest path, where reading
 * optimizer.config for every batch would double the queries. A failed load is not cached.
 */
export function cached<T>(
  load: () => Promise<T>,
  ttlMs: number,
  clock: () => number = () => Date.now(),
): () => Promise<T> {
  if (!(Number.isFinite(ttlMs) && ttlMs >= 0)) throw new RangeError(`ttlMs must be >= 0: got ${ttlMs}`);
  let value: { at: number; promise: Promise<T> } | null = null;
  return (): Promise<T> => {
    const now = clock();
    if (value && now - value.at < ttlMs) return value.promise;
    const promise = load();
    const entry = { at: now, promise };
    value = entry;
    promise.catch(() => {
      if (value === entry) value = null;
    });
    return promise;
  };
}
