import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type ReadMark,
  readPriority,
  readPriorityDefaults,
  rememberedMark,
} from "../../shared/cache/read_priority.ts";
import { MINUTE_MS } from "../../shared/time.ts";

const { halfLifeMinutes, historyMinutes } = readPriorityDefaults;
const minute = (n: number) => n * MINUTE_MS;

/** The marks after reads at these instants, one after the other. */
function readAt(...instants: number[]): ReadMark {
  return instants.reduce<ReadMark | null>((mark, at) => readPriority(mark, at), null)!;
}

Deno.test("readPriority() is log2 of the reads' decayed worth plus the minute over the half-life", () => {
  fc.assert(fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 10_000 }), { minLength: 1 }), (minutes) => {
    const sorted = [...minutes].sort((a, b) => a - b);
    const last = sorted[sorted.length - 1];
    const worth = sorted.reduce((sum, m) => sum + 2 ** (-(last - m) / halfLifeMinutes), 0);
    const mark = readAt(...sorted.map(minute));
    assert.ok(Math.abs(mark.priority - (Math.log2(worth) + last / halfLifeMinutes)) < 1e-9);
    assert.equal(mark.minuteMs, minute(last));
  }));
});

Deno.test("readPriority() counts reads within one clock minute once", () => {
  assert.deepEqual(readAt(minute(7), minute(7) + 1_000, minute(8) - 1), readAt(minute(7)));
});

Deno.test("readPriority() ranks a key read in four recent minutes above one read once since", () => {
  const often = readAt(minute(0), minute(1), minute(2), minute(3));
  const once = readAt(minute(4));
  assert.ok(often.priority > once.priority);
});

Deno.test("readPriority() ranks a key read once lately above one read often long ago", () => {
  const long = readAt(minute(0), minute(1), minute(2), minute(3));
  const lately = readAt(minute(3 + 3 * halfLifeMinutes));
  assert.ok(lately.priority > long.priority);
});

Deno.test("rememberedMark() keeps a gone entry's marks for historyMinutes after its last read", () => {
  const mark = readAt(minute(10));
  assert.equal(rememberedMark(mark, minute(10 + historyMinutes)), mark);
  assert.equal(rememberedMark(mark, minute(10 + historyMinutes) + 1), null);
  assert.equal(rememberedMark(null, minute(10)), null);
});
