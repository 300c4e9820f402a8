/**
 * A binary min-heap of (key, id) pairs in typed arrays: merges many time-ordered streams (each robot's
 * messages, each candle series) into one time-ordered stream without holding the rows. Ties go to the
 * smaller id, so the merged order is deterministic.
 */
export class MinHeap {
  #keys: Float64Array;
  #ids: Int32Array;
  #size = 0;

  constructor(capacity: number) {
    this.#keys = new Float64Array(Math.max(1, capacity));
    this.#ids = new Int32Array(Math.max(1, capacity));
  }

  get size(): number {
    return this.#size;
  }

  #less(a: number, b: number): boolean {
    return this.#keys[a] < this.#keys[b] || (this.#keys[a] === this.#keys[b] && this.#ids[a] < this.#ids[b]);
  }

  #swap(a: number, b: number): void {
    [this.#keys[a], this.#keys[b]] = [this.#keys[b], this.#keys[a]];
    [this.#ids[a], this.#ids[b]] = [this.#ids[b], this.#ids[a]];
  }

  push(key: number, id: number): void {
    if (this.#size === this.#keys.length) throw new RangeError(`heap is full at ${this.#size} entries`);
    let i = this.#size++;
    this.#keys[i] = key;
    this.#ids[i] = id;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(i, parent)) break;
      this.#swap(i, parent);
      i = parent;
    }
  }

  /** Removes and returns the id with the smallest key, or -1 when empty. */
  pop(): number {
    if (this.#size === 0) return -1;
    const top = this.#ids[0];
    this.#size--;
    if (this.#size > 0) {
      this.#keys[0] = this.#keys[this.#size];
      this.#ids[0] = this.#ids[this.#size];
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < this.#size && this.#less(left, smallest)) smallest = left;
        if (right < this.#size && this.#less(right, smallest)) smallest = right;
        if (smallest === i) break;
        this.#swap(i, smallest);
        i = smallest;
      }
    }
    return top;
  }
}
