import { MINUTE_MS } from "../time.ts";

/**
 * What the shared tier evicts first under its size budget: LRFU (Lee et al., "LRFU: a spectrum of policies that
 * subsumes the least recently used and least frequently used policies", IEEE ToC 2001). A key's worth is the sum
 * over its past reads of 2^(−age / halfLife): one read now weighs 1, one a half-life ago ½. A key read in many
 * recent minutes outranks one read once a moment ago, which LRU gets wrong for the hot keys of a skewed workload.
 *
 * Stored as a priority p = log2(worth) + minute / halfLife (minutes since the epoch). Every key's worth decays at
 * the same rate, so the order of two keys by p never changes with time: eviction sorts by a stored number, and a
 * read updates it from the previous p alone. Reads count once per clock minute, as the shared tier marks them
 * (optimizer.cache_get()), so that a hot entry is not rewritten on every read.
 *
 * The marks of an entry that is gone (expired, evicted, invalidated) are kept `historyMinutes` after its last read:
 * with the cache's minute TTL every entry is gone within minutes, and a key that is read again picks up its worth
 * where it left off instead of starting over as a stranger.
 *
 * This file is the definition the simulation uses (bench/sim/cache.ts); optimizer.cache_read_priority()
 * (supabase/migrations/20261129004000_optimizer_cache_read_priority.sql) computes the same, with the same
 * constants, and tests/integration/shared_cache.test.ts checks that the two agree.
 */

/** The constants of the eviction order, fixed in optimizer.cache_read_priority() too. */
export const readPriorityDefaults = {
  /**
   * A read's weight halves in this many minutes. Chosen with the simulation's caching table (`npm run bench:sim`,
   * 14 days of the reference trace, a sweep of 5 to 60 minutes): 15 minutes did best at 64 and 256 entries.
   */
  halfLifeMinutes: 15,
  /** A gone entry's marks are kept this long after its last read. */
  historyMinutes: 120,
} as const;

/** How often and how lately a key was read. */
export interface ReadMark {
  /** log2(worth) + minute / halfLife: the higher, the later it is evicted. */
  priority: number;
  /** The clock minute of the last read counted, epoch milliseconds. */
  minuteMs: number;
}

/** The mark after a read at `atMs`, from the key's previous mark (null: never read, or forgotten). */
export function readPriority(previous: ReadMark | null, atMs: number): ReadMark {
  const minuteMs = Math.floor(atMs / MINUTE_MS) * MINUTE_MS;
  const now = minuteMs / MINUTE_MS / readPriorityDefaults.halfLifeMinutes;
  if (previous === null) return { priority: now, minuteMs };
  // a second read in the same minute (or a clock behind the mark) counts for nothing
  if (minuteMs <= previous.minuteMs) return previous;
  return { priority: now + Math.log2(1 + 2 ** (previous.priority - now)), minuteMs };
}

/** The mark a key keeps after its entry is gone, or null once it is older than `historyMinutes` at `atMs`. */
export function rememberedMark(mark: ReadMark | null, atMs: number): ReadMark | null {
  if (mark === null) return null;
  return atMs - mark.minuteMs > readPriorityDefaults.historyMinutes * MINUTE_MS ? null : mark;
}
