import assert from "node:assert/strict";
import {
  lastBarOpen,
  marketSymbols,
  nextBarOpen,
  previousBarOpen,
} from "../../bench/reference_app/data/market.ts";

const friday2300 = Date.parse("2025-02-28T23:00:00Z");
const monday0000 = Date.parse("2025-03-03T00:00:00Z");

Deno.test("forex bars skip the weekend in both directions; crypto trades through it", () => {
  assert.equal(nextBarOpen(friday2300, "H1", "fx"), monday0000);
  assert.equal(previousBarOpen(monday0000, "H1", "fx"), friday2300);
  assert.equal(nextBarOpen(friday2300, "H1", "crypto"), Date.parse("2025-03-01T00:00:00Z"));
  assert.equal(previousBarOpen(monday0000, "D1", "fx"), Date.parse("2025-02-28T00:00:00Z"));
});

Deno.test("lastBarOpen is the latest traded bar at or before now", () => {
  const sunday = Date.parse("2025-03-02T15:37:00Z");
  assert.equal(lastBarOpen(sunday, "M15", "fx"), Date.parse("2025-02-28T23:45:00Z"));
  assert.equal(lastBarOpen(sunday, "M15", "crypto"), Date.parse("2025-03-02T15:30:00Z"));
});

Deno.test("the market has about 30 distinct symbols", () => {
  assert.equal(new Set(marketSymbols.map((m) => m.symbol)).size, marketSymbols.length);
  assert.ok(marketSymbols.length >= 25);
});
