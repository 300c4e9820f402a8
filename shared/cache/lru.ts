/**
 * The per-isolate tier of the cache: least recently used eviction within a number of entries and a number of
 * bytes. A Map keeps insertion order, so re-inserting on every read keeps the least recently used first.
 */
export class Lru<V> {
  readonly #entries = new Map<string, { value: V; bytes: number }>();
  #bytes = 0;

  constructor(readonly maxEntries: number, readonly maxBytes: number) {
    if (!(Number.isInteger(maxEntries) && maxEntries >= 0)) {
      throw new RangeError(`maxEntries must be a whole number >= 0: got ${maxEntries}`);
    }
    if (!(Number.isFinite(maxBytes) && maxBytes >= 0)) {
      throw new RangeError(`maxBytes must be >= 0: got ${maxBytes}`);
    }
  }

  /** The value, now the most recently used; undefined when absent. */
  get(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry.value;
  }

  /** Stores the value as the most recently used, evicting the least recently used beyond the bounds. */
  set(key: string, value: V, bytes: number): void {
    this.delete(key);
    if (bytes > this.maxBytes || this.maxEntries === 0) return;
    this.#entries.set(key, { value, bytes });
    this.#bytes += bytes;
    for (const [oldest, entry] of this.#entries) {
      if (this.#entries.size <= this.maxEntries && this.#bytes <= this.maxBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= entry.bytes;
    }
  }

  delete(key: string): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    this.#entries.delete(key);
    this.#bytes -= entry.bytes;
  }

  /** Entries held. */
  get size(): number {
    return this.#entries.size;
  }

  /** Bytes held, as given to set(). */
  get bytes(): number {
    return this.#bytes;
  }
}
