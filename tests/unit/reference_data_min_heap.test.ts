import assert from "node:assert/strict";
import { MinHeap } from "../../bench/reference_app/data/min_heap.ts";

Deno.test("MinHeap pops ids by ascending key, ties by ascending id", () => {
  const heap = new MinHeap(10);
  for (const [key, id] of [[5, 1], [1, 4], [3, 2], [1, 3], [9, 0]]) heap.push(key, id);
  const order: number[] = [];
  while (heap.size > 0) order.push(heap.pop());
  assert.deepEqual(order, [3, 4, 2, 1, 0]);
  assert.equal(heap.pop(), -1);
});

Deno.test("MinHeap refuses entries beyond its capacity", () => {
  const heap = new MinHeap(1);
  heap.push(1, 1);
  assert.throws(() => heap.push(2, 2), /heap is full/);
});
