/**
 * Circuit breakers share their state through optimizer.breaker_states (shared/resilience/breaker_store.ts):
 * the compare-and-set write, the single probe claim, a breaker in another process that learns an outage
 * without calling the failing dependency, and what `status` shows of a breaker.
 */
import assert from "node:assert/strict";
import { createMetricReporter, sqlSink } from "../../shared/metrics/metric_reporter.ts";
import { breakerMetricEvents } from "../../shared/resilience/breaker_events.ts";
import { createBreakerStore } from "../../shared/resilience/breaker_store.ts";
import { createSharedBreaker, isBrokenCircuit } from "../../shared/resilience/shared_breaker.ts";
import { stackEnv } from "../support/env.ts";
import { rollup, withSql } from "../support/metric_store_db.ts";

const child = new URL("../support/breaker_child.ts", import.meta.url).pathname;
const uniqueName = () => `test-${crypto.randomUUID()}`;
const open = { ownState: { value: 1, openedAt: 1_000, attemptNo: 1 } };

Deno.test("createBreakerStore() writes the first version, then only over the version it read", async () => {
  await withSql(async (sql) => {
    const store = createBreakerStore(sql);
    const name = uniqueName();
    try {
      assert.equal(await store.read(name), null);
      assert.equal(await store.write(name, open, 0, 11_000), 1);
      assert.equal(
        await store.write(name, { ownState: { value: 0 } }, 0, null),
        null,
        "a second first write",
      );
      assert.equal(await store.write(name, { ownState: { value: 0 } }, 1, null), 2);
      assert.equal(await store.write(name, open, 1, 11_000), null, "a write over a stale version");
      assert.deepEqual(await store.read(name), { state: { ownState: { value: 0 } }, version: 2 });
    } finally {
      await sql`delete from optimizer.breaker_states where name = ${name}`;
    }
  });
});

Deno.test("createBreakerStore() gives the probe to one claimer, after the circuit's half-open time", async () => {
  await withSql(async (sql) => {
    const store = createBreakerStore(sql);
    const name = uniqueName();
    try {
      assert.equal(await store.claimProbe(name, 5_000, 10_000), true, "no record: nobody else knows");
      await store.write(name, open, 0, 11_000);
      assert.equal(await store.claimProbe(name, 10_999, 10_000), false, "before the half-open time");
      assert.equal(await store.claimProbe(name, 11_000, 10_000), true);
      assert.equal(await store.claimProbe(name, 11_001, 10_000), false, "held by the first claimer");
      assert.equal(await store.claimProbe(name, 21_000, 10_000), true, "the claim expired");
    } finally {
      await sql`delete from optimizer.breaker_states where name = ${name}`;
    }
  });
});

Deno.test("a breaker in another function process opens the circuit for this one's first call", async () => {
  await withSql(async (sql) => {
    const name = uniqueName();
    try {
      const output = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", child, name],
        env: { SUPABASE_DB_URL: stackEnv().dbUrl },
      }).output();
      assert.equal(
        new TextDecoder().decode(output.stdout).trim(),
        "open",
        new TextDecoder().decode(output.stderr),
      );
      const breaker = createSharedBreaker({ name, store: createBreakerStore(sql), halfOpenAfterMs: 60_000 });
      let called = 0;
      const outcome = await breaker.execute(() => (called++, Promise.resolve("ok"))).catch((error) => error);
      assert.ok(isBrokenCircuit(outcome));
      assert.equal(called, 0);
    } finally {
      await sql`delete from optimizer.breaker_states where name = ${name}`;
    }
  });
});

Deno.test("status_overview() lists a breaker's circuit with the openings and rejected calls its events hold", async () => {
  await withSql(async (sql) => {
    const name = uniqueName();
    const reporter = createMetricReporter({ sink: sqlSink(sql, "integration-test"), flushIntervalMs: 0 });
    const breaker = createSharedBreaker({
      name,
      store: createBreakerStore(sql),
      rule: { kind: "consecutive", failures: 2 },
      halfOpenAfterMs: 60_000,
      onEvent: breakerMetricEvents(reporter),
    });
    try {
      for (let i = 0; i < 5; i++) {
        await breaker.execute(() => Promise.reject(new Error("down"))).catch(() => {});
      }
      globalThis.dispatchEvent(new Event("beforeunload")); // the rejected calls' tally is recorded at unload
      await reporter.settled();
      await rollup(sql);
      const [{ breakers }] = await sql<{ breakers: Record<string, unknown>[] }[]>`
        select optimizer.status_overview() -> 'breakers' as breakers`;
      const row = breakers.find((b) => b.name === name);
      assert.ok(row, `${name} is listed`);
      assert.deepEqual(
        [row.state, row.openings, row.transitions, row.rejected, typeof row.next_probe_at],
        ["open", 1, 1, 3, "string"],
      );
    } finally {
      await sql`delete from optimizer.breaker_states where name = ${name}`;
    }
  });
});
