/**
 * What a cache that loads a value when it is read cannot serve in a replayed window, whatever its size, its
 * eviction and however many isolates share it. It starts the window empty (every scenario's cache does), and
 * a value is fresh for `freshMs` after it was loaded, so a read whose key was not read in the `freshMs` before
 * it finds nothing fresh and waits for the source. Real caches miss more: a value loaded by a read goes stale
 * `freshMs` after that read, not after the latest one.
 *
 * Only a cache that loads ahead of the reads (refresh-ahead) can serve those, at calls to the source no read
 * asked for. The floor counts what the most generous such refresher would do: one that keeps every key fresh
 * from its first read to the window's end, reloading it every `freshMs`, and so misses only each key's first
 * read.
 */

export interface ReadThroughFloorInput {
  /** The window's requests: trace instant (ms from the window's start), endpoint and cache key, in time order. */
  requests: readonly { atMs: number; endpoint: string; key: string }[];
  /** The cached reads' endpoint. */
  endpoint: string;
  /** How long a loaded value may be served, in trace time. */
  freshMs: number;
  /** The window's length in trace time. */
  durationMs: number;
}

export interface ReadThroughFloor {
  endpoint: string;
  freshMs: number;
  /** Every request of the window, of any endpoint. */
  requests: number;
  reads: number;
  /** Reads with no read of their key in the `freshMs` before them: a read-through cache calls the source for each. */
  unservable: number;
  /** Distinct keys read: what the refresher that keeps every key fresh still misses (each key's first read). */
  keys: number;
  /** That refresher's calls to the source: each key loaded at its first read and every `freshMs` after, to the end. */
  refresherCalls: number;
}

/** Pure: the reads of `endpoint` a read-through cache with that freshness must send to the source. */
export function readThroughFloor(input: ReadThroughFloorInput): ReadThroughFloor {
  if (!(input.freshMs > 0)) throw new RangeError(`freshMs must be > 0: got ${input.freshMs}`);
  if (!(input.durationMs > 0)) throw new RangeError(`durationMs must be > 0: got ${input.durationMs}`);
  const lastRead = new Map<string, number>();
  const firstRead = new Map<string, number>();
  let reads = 0;
  let unservable = 0;
  for (const { atMs, endpoint, key } of input.requests) {
    if (endpoint !== input.endpoint) continue;
    reads++;
    const last = lastRead.get(key);
    // a read within freshMs of the previous one may find that one's load still fresh; any other cannot
    if (last === undefined || atMs - last > input.freshMs) unservable++;
    if (!firstRead.has(key)) firstRead.set(key, atMs);
    lastRead.set(key, atMs);
  }
  let refresherCalls = 0;
  for (const first of firstRead.values()) {
    refresherCalls += Math.max(1, Math.ceil((input.durationMs - first) / input.freshMs));
  }
  return {
    endpoint: input.endpoint,
    freshMs: input.freshMs,
    requests: input.requests.length,
    reads,
    unservable,
    keys: firstRead.size,
    refresherCalls,
  };
}
