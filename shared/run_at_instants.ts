import type { Clock } from "./clock.ts";

/**
 * Runs each item at its instant on `clock`, at most `concurrency` at a time: `concurrency` lanes take the items
 * in time order, and a lane waits for its item's instant before running it. Resolves when every item has run;
 * `run` must not throw (what it does with a failure is its own).
 */
export async function runAtInstants<T extends { atMs: number }>(
  items: readonly T[],
  options: { concurrency: number; clock: Pick<Clock, "now" | "sleep"> },
  run: (item: T) => Promise<void>,
): Promise<void> {
  if (!(Number.isInteger(options.concurrency) && options.concurrency >= 1)) {
    throw new RangeError(`concurrency must be an integer >= 1: got ${options.concurrency}`);
  }
  const queue = [...items].sort((a, b) => a.atMs - b.atMs);
  let next = 0;
  const lane = async () => {
    while (next < queue.length) {
      const item = queue[next++];
      await options.clock.sleep(item.atMs - options.clock.now());
      await run(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, queue.length) }, lane));
}
