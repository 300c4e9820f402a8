import assert from "node:assert/strict";
import { hashedBasePrice, priceAt, quoteAt } from "../../bench/reference_app/quote_walk.ts";

const t0 = Date.parse("2025-06-02T13:30:00Z");

Deno.test("a quote depends only on the seed, the symbol and the time", () => {
  assert.deepEqual(quoteAt(1, "EURUSD", "M5", t0), quoteAt(1, "EURUSD", "M5", t0));
  assert.notEqual(priceAt(1, "EURUSD", t0), priceAt(2, "EURUSD", t0));
  assert.notEqual(priceAt(1, "EURUSD", t0), priceAt(1, "GBPUSD", t0));
});

Deno.test("prices move like a random walk: small steps per second, wider spread over hours", () => {
  const secondSteps: number[] = [];
  const hourSteps: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const t = t0 + i * 1000;
    secondSteps.push(Math.abs(Math.log(priceAt(3, "XAUUSD", t + 1000) / priceAt(3, "XAUUSD", t))));
    const h = t0 + i * 3_600_000;
    hourSteps.push(Math.abs(Math.log(priceAt(3, "XAUUSD", h + 3_600_000) / priceAt(3, "XAUUSD", h))));
  }
  const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
  assert.ok(mean(secondSteps) > 0, "the price moves");
  // Brownian scaling: an hour's move is about sqrt(3600) = 60 times a second's; the bridge pins it somewhat.
  const ratio = mean(hourSteps) / mean(secondSteps);
  assert.ok(ratio > 25 && ratio < 80, `hour/second move ratio ${ratio}`);
});

Deno.test("prices of an undescribed symbol stay near its hashed base price", () => {
  const base = hashedBasePrice(5, "BTCUSD");
  for (let i = 0; i < 500; i++) {
    const price = priceAt(5, "BTCUSD", t0 + i * 3_637_000);
    assert.ok(price > base * 0.7 && price < base * 1.3, `${price} vs base ${base}`);
  }
});

Deno.test("a quote has a bid under the ask around the price, and the bar's open", () => {
  const quote = quoteAt(1, "EURUSD", "H1", t0 + 25 * 60_000);
  assert.ok(quote.bid < quote.price && quote.price < quote.ask);
  assert.equal(quote.open, priceAt(1, "EURUSD", Date.parse("2025-06-02T13:00:00Z")));
  assert.equal(quote.time, "2025-06-02T13:55:00.000Z");
});

Deno.test("a described symbol trades around its base price with its daily volatility", () => {
  const market = { basePrice: 65_000, dailyVolatility: 0.035 };
  const dailyMoves: number[] = [];
  for (let day = 0; day < 400; day++) {
    const t = t0 + day * 86_400_000 + 7 * 3_600_000;
    const price = priceAt(9, "BTCUSD", t, market);
    assert.ok(price > 65_000 * 0.75 && price < 65_000 * 1.25, `${price}`);
    dailyMoves.push(Math.log(priceAt(9, "BTCUSD", t + 86_400_000, market) / price));
  }
  const sd = Math.sqrt(dailyMoves.reduce((sum, move) => sum + move * move, 0) / dailyMoves.length);
  // The 36-hour bridge pins the walk, so a day's move is somewhat below the free walk's 3.5 %.
  assert.ok(sd > 0.01 && sd < 0.05, `daily sd ${sd}`);
});
