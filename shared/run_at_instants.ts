/**
 * Runs each item at its instant, at most `concurrency` at a time: `concurrency` lanes take the items in time
 * order, and a lane waits for its item's instant before running it. Resolves when every item has run; `run`
 * must not throw (what it does with a failure is its own).
 */
export async function runAtInstants<T extends { atMs: number }>(
  items: readonly T[],
  options: { concurrency: number; now: () => number },
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
      await delay(item.atMs - options.now());
      await run(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, queue.length) }, lane));
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
