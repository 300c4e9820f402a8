/**
 * Turns trace requests into the operations a cache sees: reads of items and invalidations, with the position of
 * each item's next read precomputed in one backward pass (what Belady's MIN needs).
 *
 * Invalidation rule: a write (an endpoint in `writeEndpoints`) by a user invalidates every key that this user
 * read through a user-scoped function (`robots`, `robot-chat`: every such read is filtered by the user's
 * ownership) since the user's previous write. market-data reads are never invalidated: the app does not write
 * quotes or candles, and their freshness is the TTL's business. A key read by several users is invalidated by
 * a write of any of them (conservative: it may hold that user's rows).
 *
 * An item is a key at one version: an invalidation ends the current item of a key, and the key's next read
 * starts a new one, so that read is a compulsory miss for every policy, MIN included.
 */

/** The fields of a trace request (bench/trace) the cache simulation reads. */
export interface CacheRequest {
  atMs: number;
  fn: string;
  endpoint: string;
  userIndex: number;
  /** Cache-aside key of a read; "" for writes and uncacheable reads. */
  key: string;
}

export const writeEndpoints: ReadonlySet<string> = new Set([
  "robots.create",
  "robots.update",
  "robots.softDelete",
  "robots.duplicate",
  "chat.append",
]);

export const userScopedFunctions: ReadonlySet<string> = new Set(["robots", "robot-chat"]);

export interface CacheOps {
  /** Number of cacheable reads. */
  reads: number;
  writes: number;
  /** Item read by read r. */
  item: Int32Array;
  /** The key of each item (keys numbered from 0 in order of first read): an item is one version of its key. */
  itemKey: Int32Array;
  atMs: Float64Array;
  /** Position of the next read of the same item after read r; `reads` when there is none. */
  nextUse: Int32Array;
  /** Items invalidated since the read before read r: invalidated[invalidationBounds[r] .. invalidationBounds[r + 1]). */
  invalidationBounds: Int32Array;
  invalidated: Int32Array;
  items: number;
  /** First reads of items: misses for any policy and any capacity. */
  compulsoryMisses: number;
}

/** Collects requests one by one (so a long trace can stream in) and builds CacheOps. */
export class CacheOpsBuilder {
  readonly #currentItem = new Map<string, number>();
  readonly #keyIds = new Map<string, number>();
  readonly #itemKey: number[] = [];
  readonly #keysReadByUser = new Map<number, Set<string>>();
  #items = 0;
  #writes = 0;
  readonly #item: number[] = [];
  readonly #atMs: number[] = [];
  readonly #invalidationBounds: number[] = [0];
  readonly #invalidated: number[] = [];

  add(request: CacheRequest): void {
    if (writeEndpoints.has(request.endpoint)) {
      this.#writes++;
      const keys = this.#keysReadByUser.get(request.userIndex);
      if (!keys) return;
      for (const key of keys) {
        const item = this.#currentItem.get(key);
        if (item === undefined) continue;
        this.#invalidated.push(item);
        this.#currentItem.delete(key);
      }
      keys.clear();
      return;
    }
    if (request.key === "") return;
    if (userScopedFunctions.has(request.fn)) {
      let keys = this.#keysReadByUser.get(request.userIndex);
      if (!keys) this.#keysReadByUser.set(request.userIndex, keys = new Set());
      keys.add(request.key);
    }
    let item = this.#currentItem.get(request.key);
    if (item === undefined) {
      this.#currentItem.set(request.key, item = this.#items++);
      let keyId = this.#keyIds.get(request.key);
      if (keyId === undefined) this.#keyIds.set(request.key, keyId = this.#keyIds.size);
      this.#itemKey.push(keyId);
    }
    this.#invalidationBounds.push(this.#invalidated.length);
    this.#item.push(item);
    this.#atMs.push(request.atMs);
  }

  build(): CacheOps {
    const reads = this.#item.length;
    const item = Int32Array.from(this.#item);
    const nextUse = new Int32Array(reads);
    const nextReadOf = new Int32Array(this.#items).fill(reads);
    for (let r = reads - 1; r >= 0; r--) {
      nextUse[r] = nextReadOf[item[r]];
      nextReadOf[item[r]] = r;
    }
    return {
      reads,
      writes: this.#writes,
      item,
      itemKey: Int32Array.from(this.#itemKey),
      atMs: Float64Array.from(this.#atMs),
      nextUse,
      invalidationBounds: Int32Array.from(this.#invalidationBounds),
      invalidated: Int32Array.from(this.#invalidated),
      items: this.#items,
      compulsoryMisses: this.#items,
    };
  }
}

export function buildCacheOps(requests: Iterable<CacheRequest>): CacheOps {
  const builder = new CacheOpsBuilder();
  for (const request of requests) builder.add(request);
  return builder.build();
}
