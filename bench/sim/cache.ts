/**
 * Caching policies over CacheOps, and the loop that runs one at one capacity. A policy is any object with a
 * name and a `create(capacity)` that returns a cache; every cache is told each read's next use, which online
 * policies ignore and Belady's MIN needs. All caches drop invalidated items (cache-aside deletes on write).
 */
import type { CacheOps } from "./cache_ops.ts";
import {
  type ReadMark,
  readPriority,
  readPriorityDefaults,
  rememberedMark,
} from "../../shared/cache/read_priority.ts";

export interface Cache {
  /**
   * Reads `item` (a version of `key`) at `atMs`; true on a hit. `nextUse` is the position of the item's next read
   * (ops.reads if none).
   */
  access(item: number, atMs: number, nextUse: number, key: number): boolean;
  invalidate(item: number): void;
  /** Policy-specific counts for the report (for example misses on expired entries). */
  counters?(): Record<string, number>;
}

export interface CachePolicy {
  name: string;
  description: string;
  create(capacity: number): Cache;
}

export interface CacheStats {
  policy: string;
  capacity: number;
  reads: number;
  hits: number;
  misses: number;
  /** Misses no policy can avoid: first reads of an item (a key at one version). */
  compulsoryMisses: number;
  hitRate: number;
  counters: Record<string, number>;
}

/** Least recently used: a Map keeps insertion order, so re-inserting on a hit moves an entry to the back. */
export function lru(): CachePolicy {
  return {
    name: "lru",
    description: "least recently used eviction, no expiry",
    create(capacity) {
      const entries = new Map<number, true>();
      return {
        access(item) {
          if (entries.delete(item)) {
            entries.set(item, true);
            return true;
          }
          if (entries.size >= capacity) entries.delete(entries.keys().next().value!);
          entries.set(item, true);
          return false;
        },
        invalidate(item) {
          entries.delete(item);
        },
      };
    },
  };
}

/**
 * The peers' cache-aside cache: LRU eviction, and an entry expires `ttlMs` after it was stored (a hit does not
 * extend it); an expired entry is a miss and is stored again. Expired entries hold their slot until evicted
 * or read, as in a lazily expiring LRU.
 */
export function lruTtl(ttlMs: number): CachePolicy {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new Error(`lruTtl: ttlMs must be a finite number > 0: got ${ttlMs}`);
  }
  return {
    name: "lru+ttl",
    description: `LRU eviction, entries expire ${ttlMs / 1000} s after they were stored`,
    create(capacity) {
      const storedAt = new Map<number, number>();
      let expiredMisses = 0;
      return {
        access(item, atMs) {
          const stored = storedAt.get(item);
          if (stored !== undefined) {
            storedAt.delete(item);
            if (atMs - stored < ttlMs) {
              storedAt.set(item, stored);
              return true;
            }
            expiredMisses++;
          } else if (storedAt.size >= capacity) storedAt.delete(storedAt.keys().next().value!);
          storedAt.set(item, atMs);
          return false;
        },
        invalidate(item) {
          storedAt.delete(item);
        },
        counters: () => ({ expiredMisses }),
      };
    },
  };
}

/** Max-heap of (next use, item) pairs with lazy deletion: an entry is stale when the cache says otherwise. */
class NextUseHeap {
  keys: number[] = [];
  items: number[] = [];

  get size(): number {
    return this.keys.length;
  }

  push(key: number, item: number): void {
    const { keys, items } = this;
    let i = keys.length;
    keys.push(key);
    items.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (keys[parent] >= key) break;
      keys[i] = keys[parent];
      items[i] = items[parent];
      i = parent;
    }
    keys[i] = key;
    items[i] = item;
  }

  pop(): void {
    const { keys, items } = this;
    const lastKey = keys.pop()!;
    const lastItem = items.pop()!;
    const n = keys.length;
    if (n === 0) return;
    let i = 0;
    while (true) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const child = left + 1 < n && keys[left + 1] > keys[left] ? left + 1 : left;
      if (keys[child] <= lastKey) break;
      keys[i] = keys[child];
      items[i] = items[child];
      i = child;
    }
    keys[i] = lastKey;
    items[i] = lastItem;
  }

  clear(): void {
    this.keys = [];
    this.items = [];
  }
}

/**
 * Belady's MIN, the offline optimum for demand caching: on a miss with a full cache, evict the item whose next
 * read is furthest away, or bypass the cache when the missed item's own next read is further still. An
 * invalidated item is never read again (its key's next read is a new item), so it is dropped at once. MIN has
 * no TTL: it serves what a stale-avoiding TTL would refuse, so a TTL cache may trail it for that reason alone.
 * O(log n) per read with a lazily cleaned heap.
 */
export function beladyMin(): CachePolicy {
  return {
    name: "belady-min",
    description: "offline optimum: evict the item read furthest in the future (bypass allowed), no TTL",
    create(capacity) {
      const nextUseOf = new Map<number, number>();
      const heap = new NextUseHeap();
      const compactAbove = 4 * capacity + 1024;
      const compact = () => {
        heap.clear();
        for (const [item, nextUse] of nextUseOf) heap.push(nextUse, item);
      };
      const topIsStale = () => nextUseOf.get(heap.items[0]) !== heap.keys[0];
      return {
        access(item, _atMs, nextUse) {
          if (nextUseOf.has(item)) {
            nextUseOf.set(item, nextUse);
            heap.push(nextUse, item);
            if (heap.size > compactAbove) compact();
            return true;
          }
          if (nextUseOf.size >= capacity) {
            while (topIsStale()) heap.pop();
            if (heap.keys[0] <= nextUse) return false;
            nextUseOf.delete(heap.items[0]);
            heap.pop();
          }
          nextUseOf.set(item, nextUse);
          heap.push(nextUse, item);
          if (heap.size > compactAbove) compact();
          return false;
        },
        invalidate(item) {
          nextUseOf.delete(item);
        },
      };
    },
  };
}

/**
 * The suite's shared tier (shared/cache/read_priority.ts, optimizer.cache_evict()): evicts the entry of the
 * lowest LRFU priority over read minutes, and keeps the marks of an entry evicted or invalidated for
 * `historyMinutes` after its last read, so that the key's next entry starts from them. Without a TTL, as MIN,
 * and in entries: the tier itself evicts by bytes, once a minute. The bound on the marks kept (100,000 keys) is
 * not reached by the traces here and is left out. O(log n) per
 * read with a lazily cleaned heap: a read only raises an entry's priority, so an outdated heap entry surfaces
 * before the current one and is dropped.
 */
export function sharedTier(): CachePolicy {
  const { halfLifeMinutes, historyMinutes } = readPriorityDefaults;
  return {
    name: "suite",
    description:
      `the suite's shared tier: LRFU over read minutes (half-life ${halfLifeMinutes} min), the marks ` +
      `of a gone entry kept ${historyMinutes} min`,
    create(capacity) {
      const marks = new Map<number, { key: number; mark: ReadMark }>();
      const history = new Map<number, ReadMark>();
      // max-heap on the negated priority: the top is the entry to evict
      const heap = new NextUseHeap();
      const compactAbove = 4 * capacity + 1024;
      const push = (item: number, mark: ReadMark) => {
        heap.push(-mark.priority, item);
        if (heap.size > compactAbove) {
          heap.clear();
          for (const [cached, entry] of marks) heap.push(-entry.mark.priority, cached);
        }
      };
      const forget = (item: number) => {
        const entry = marks.get(item);
        if (entry === undefined) return;
        marks.delete(item);
        history.set(entry.key, entry.mark);
      };
      return {
        access(item, atMs, _nextUse, key) {
          const cached = marks.get(item);
          if (cached !== undefined) {
            const mark = readPriority(cached.mark, atMs);
            if (mark !== cached.mark) {
              cached.mark = mark;
              push(item, mark);
            }
            return true;
          }
          if (marks.size >= capacity) {
            while (marks.get(heap.items[0])?.mark.priority !== -heap.keys[0]) heap.pop();
            forget(heap.items[0]);
            heap.pop();
          }
          const mark = readPriority(rememberedMark(history.get(key) ?? null, atMs), atMs);
          history.delete(key);
          marks.set(item, { key, mark });
          push(item, mark);
          return false;
        },
        invalidate: forget,
      };
    },
  };
}

export function simulateCache(ops: CacheOps, policy: CachePolicy, capacity: number): CacheStats {
  if (!Number.isInteger(capacity) || capacity < 1) {
    throw new Error(`cache capacity must be an integer >= 1: got ${capacity}`);
  }
  const cache = policy.create(capacity);
  const { item, atMs, nextUse, invalidationBounds, invalidated } = ops;
  let hits = 0;
  for (let r = 0; r < ops.reads; r++) {
    for (let i = invalidationBounds[r]; i < invalidationBounds[r + 1]; i++) cache.invalidate(invalidated[i]);
    if (cache.access(item[r], atMs[r], nextUse[r], ops.itemKey[item[r]])) hits++;
  }
  return {
    policy: policy.name,
    capacity,
    reads: ops.reads,
    hits,
    misses: ops.reads - hits,
    compulsoryMisses: ops.compulsoryMisses,
    hitRate: ops.reads === 0 ? 0 : hits / ops.reads,
    counters: cache.counters?.() ?? {},
  };
}
