import assert from "node:assert/strict";
import type { MetricEvent } from "../../shared/metrics/metric_event.ts";
import { createMetricReporter } from "../../shared/metrics/metric_reporter.ts";
import { breakerMetricEvents } from "../../shared/resilience/breaker_events.ts";

function recording() {
  const events: MetricEvent[] = [];
  const reporter = createMetricReporter({
    sink: (batch) => Promise.resolve(void events.push(...batch)),
    flushIntervalMs: 0,
  });
  return { events, reporter };
}

Deno.test("breakerMetricEvents() records each transition as one event, an error when the circuit opens", async () => {
  const { events, reporter } = recording();
  const onEvent = breakerMetricEvents(reporter);
  const atMs = Date.parse("2026-11-30T01:00:00Z");
  onEvent({ kind: "transition", name: "quotes", from: "closed", to: "open", atMs });
  onEvent({ kind: "transition", name: "quotes", from: "half-open", to: "closed", atMs: atMs + 10_000 });
  await reporter.flush();
  assert.deepEqual(events.map((e) => [e.occurredAt, e.system, e.target, e.kind, e.error, e.attrs]), [
    ["2026-11-30T01:00:00.000Z", "edge", "quotes", "breaker", true, { from: "closed", to: "open" }],
    ["2026-11-30T01:00:10.000Z", "edge", "quotes", "breaker", false, { from: "half-open", to: "closed" }],
  ]);
});

Deno.test("breakerMetricEvents() counts a minute's rejected calls in one event per breaker", async () => {
  const { events, reporter } = recording();
  const now = new Date("2026-11-30T01:00:30Z");
  const onEvent = breakerMetricEvents(reporter, { now: () => now });
  for (let i = 0; i < 250; i++) onEvent({ kind: "rejected", name: "quotes", atMs: now.getTime() });
  onEvent({ kind: "rejected", name: "ai", atMs: now.getTime() });
  globalThis.dispatchEvent(new Event("beforeunload"));
  await reporter.settled();
  assert.deepEqual(
    events.map((e) => [e.occurredAt, e.target, e.kind, e.count]).toSorted(),
    [
      ["2026-11-30T01:00:00.000Z", "ai", "breaker_rejected", 1],
      ["2026-11-30T01:00:00.000Z", "quotes", "breaker_rejected", 250],
    ],
  );
});

Deno.test("breakerMetricEvents() records each call let through with its latency, an error when it failed", async () => {
  const { events, reporter } = recording();
  const onEvent = breakerMetricEvents(reporter);
  const atMs = Date.parse("2026-11-30T01:00:00Z");
  onEvent({ kind: "call", name: "quotes", failed: false, latencyMs: 42, atMs });
  onEvent({ kind: "call", name: "quotes", failed: true, latencyMs: 2000, atMs: atMs + 1000 });
  await reporter.flush();
  assert.deepEqual(events.map((e) => [e.occurredAt, e.target, e.kind, e.error, e.latencyMs]), [
    ["2026-11-30T01:00:00.000Z", "quotes", "breaker_call", false, 42],
    ["2026-11-30T01:00:01.000Z", "quotes", "breaker_call", true, 2000],
  ]);
});
