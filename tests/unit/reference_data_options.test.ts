import assert from "node:assert/strict";
import {
  parseScale,
  perRobot,
  referenceScales,
  resolveReferenceDataOptions,
} from "../../bench/reference_app/data/options.ts";

const now = "2025-03-04T00:00:00Z";

Deno.test("defaults give the small scale and seed 1", () => {
  const options = resolveReferenceDataOptions({ now });
  assert.equal(options.seed, 1);
  assert.equal(options.scaleName, "small");
  assert.deepEqual(options.scale, referenceScales.small);
});

Deno.test("a robot count scales the other counts in the large scale's proportions", () => {
  const { scale } = resolveReferenceDataOptions({ now, scale: 1000 });
  assert.deepEqual(scale, {
    users: 1000 * perRobot.users,
    robots: 1000,
    messages: 1000 * perRobot.messages,
    candles: 1000 * perRobot.candles,
  });
});

Deno.test("invalid options fail early with what to do", () => {
  assert.throws(
    () => resolveReferenceDataOptions({ now, scale: 0 }),
    /scale \(robot count\) must be a whole number between 1/,
  );
  assert.throws(
    () => resolveReferenceDataOptions({ now, scale: "huge" as "small" }),
    /scale must be small, medium, large/,
  );
  assert.throws(() => resolveReferenceDataOptions({ now: "yesterday" }), /now must be a date/);
  assert.throws(() => resolveReferenceDataOptions({ now, seed: -1 }), /seed must be a whole number/);
  assert.throws(
    () => resolveReferenceDataOptions({ now, publicFraction: 2 }),
    /publicFraction must be between 0 and 1/,
  );
  assert.throws(
    () => resolveReferenceDataOptions({ now, deletedFraction: 0.6, inactiveFraction: 0.6 }),
    /deletedFraction \+ inactiveFraction must be <= 1/,
  );
  assert.throws(
    () => resolveReferenceDataOptions({ now, scale: { users: 1, robots: 0, messages: 5, candles: 0 } }),
    /messages need robots/,
  );
});

Deno.test("parseScale takes scale names and robot counts", () => {
  assert.equal(parseScale("medium"), "medium");
  assert.equal(parseScale("50000"), 50000);
  assert.throws(() => parseScale("0"), /robot count >= 1: got '0'/);
  assert.throws(() => parseScale("big"), /scale must be small, medium, large or a robot count/);
});
