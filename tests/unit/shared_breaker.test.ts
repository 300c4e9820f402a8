import assert from "node:assert/strict";
import type { BreakerStore, StoredBreakerState } from "../../shared/resilience/breaker_store.ts";
import {
  type BreakerEvent,
  createSharedBreaker,
  isBrokenCircuit,
  type SharedBreakerOptions,
} from "../../shared/resilience/shared_breaker.ts";

/**
 * An in-memory BreakerStore with the Postgres adapter's semantics (tests/integration/breaker_store.test.ts
 * checks those against the real table), counting calls; `failing` makes every call throw.
 */
function memoryStore() {
  const rows = new Map<string, StoredBreakerState & { nextProbeAtMs: number | null }>();
  const calls = { read: 0, write: 0, claim: 0 };
  let failing = false;
  const store: BreakerStore = {
    read(name) {
      calls.read++;
      if (failing) return Promise.reject(new Error("store down"));
      const row = rows.get(name);
      return Promise.resolve(row ? { state: structuredClone(row.state), version: row.version } : null);
    },
    write(name, state, expectedVersion, nextProbeAtMs) {
      calls.write++;
      if (failing) return Promise.reject(new Error("store down"));
      const row = rows.get(name);
      if ((row?.version ?? 0) !== expectedVersion && row) return Promise.resolve(null);
      const version = (row?.version ?? 0) + 1;
      rows.set(name, { state: structuredClone(state), version, nextProbeAtMs });
      return Promise.resolve(version);
    },
    claimProbe(name, nowMs, holdMs) {
      calls.claim++;
      if (failing) return Promise.reject(new Error("store down"));
      const row = rows.get(name);
      if (!row) return Promise.resolve(true);
      if (row.nextProbeAtMs !== null && row.nextProbeAtMs > nowMs) return Promise.resolve(false);
      row.nextProbeAtMs = nowMs + holdMs;
      return Promise.resolve(true);
    },
  };
  return { store, calls, rows, fail: (on: boolean) => failing = on };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const boom = () => Promise.reject(new Error("upstream down"));
const ok = () => Promise.resolve("ok");

function breaker(store: BreakerStore, options: Partial<SharedBreakerOptions> = {}) {
  return createSharedBreaker({
    name: "quotes",
    store,
    rule: { kind: "consecutive", failures: 3 },
    halfOpenAfterMs: 40,
    readIntervalMs: 0,
    onStoreError: () => {},
    ...options,
  });
}

/** Calls `fn` through `b`, returning what happened: the value, "failed" or "rejected". */
async function call(b: ReturnType<typeof breaker>, fn: () => Promise<string>): Promise<string> {
  try {
    return await b.execute(fn);
  } catch (error) {
    return isBrokenCircuit(error) ? "rejected" : "failed";
  }
}

Deno.test("createSharedBreaker() opens after the rule's failures and then rejects without calling", async () => {
  const b = breaker(memoryStore().store);
  let called = 0;
  const failing = () => (called++, boom());
  const outcomes = [];
  for (let i = 0; i < 5; i++) outcomes.push(await call(b, failing));
  assert.deepEqual(outcomes, ["failed", "failed", "failed", "rejected", "rejected"]);
  assert.equal(called, 3);
  assert.equal(b.state(), "open");
});

Deno.test("createSharedBreaker() starts a new isolate's breaker open when another isolate opened it", async () => {
  const { store } = memoryStore();
  const first = breaker(store);
  for (let i = 0; i < 3; i++) await call(first, boom);
  const second = breaker(store);
  let called = 0;
  assert.equal(await call(second, () => (called++, ok())), "rejected");
  assert.equal(called, 0, "the new isolate did not relearn the outage from its users' requests");
  assert.equal(second.state(), "open");
});

Deno.test("createSharedBreaker() lets isolates send one half-open probe between them", async () => {
  const { store } = memoryStore();
  const isolates = [breaker(store), breaker(store), breaker(store)];
  for (let i = 0; i < 3; i++) await call(isolates[0], boom);
  for (const b of isolates.slice(1)) await call(b, ok);
  await sleep(50);
  let probes = 0;
  const slowProbe = () => (probes++, sleep(10).then(() => boom()));
  const outcomes = await Promise.all(isolates.map((b) => call(b, slowProbe)));
  assert.equal(probes, 1);
  assert.deepEqual(outcomes.toSorted(), ["failed", "rejected", "rejected"]);
});

Deno.test("createSharedBreaker() lets no isolate probe again right after a failed probe", async () => {
  const { store } = memoryStore();
  const [a, b] = [breaker(store), breaker(store)];
  for (let i = 0; i < 3; i++) await call(a, boom);
  await call(b, ok); // b holds the first opening
  await sleep(50);
  assert.equal(await call(a, boom), "failed", "a probes and fails: the circuit opens again");
  let called = 0;
  assert.equal(await call(b, () => (called++, ok())), "rejected");
  assert.equal(called, 0, "b's copy said a probe was due, the store said the new opening's was not");
});

Deno.test("createSharedBreaker() dates a failed probe's reopening from when the probe was sent", async () => {
  const { store, rows } = memoryStore();
  const [a, b] = [breaker(store), breaker(store)];
  for (let i = 0; i < 3; i++) await call(a, boom);
  await sleep(50);
  const sentBy = Date.now();
  assert.equal(await call(a, () => sleep(35).then(boom)), "failed", "a slow probe: 35 ms to fail");
  const nextProbeAtMs = rows.get("quotes")!.nextProbeAtMs!;
  assert.ok(nextProbeAtMs <= sentBy + 40 + 20, `next probe ${nextProbeAtMs - sentBy} ms after the send`);
  await sleep(Math.max(0, sentBy + 60 - Date.now()));
  assert.equal(await call(b, ok), "ok", "60 ms after the failed probe was sent, 25 after it failed");
});

Deno.test("createSharedBreaker() holds an isolate's calls during its own probe for the probe's outcome", async () => {
  const { store, calls } = memoryStore();
  const b = breaker(store);
  for (let i = 0; i < 3; i++) await call(b, boom);
  await sleep(50);
  const probe = call(b, () => sleep(60).then(ok));
  await sleep(20);
  const claims = calls.claim;
  // cockatiel holds a call that comes while its probe is out; the store's claim, held by that probe, would refuse it
  const during = await call(b, ok);
  assert.equal(await probe, "ok");
  assert.equal(during, "ok", "the call waited for the probe, which closed the circuit");
  assert.equal(calls.claim, claims, "no claim while this isolate's own probe was out");
});

Deno.test("createSharedBreaker() has a call that comes during its isolate's claim wait for that claim's probe", async () => {
  const { store, calls } = memoryStore();
  // a store that takes 30 ms to answer a claim, as a slow database does
  const slowClaims: BreakerStore = {
    ...store,
    claimProbe: (...args) => sleep(30).then(() => store.claimProbe(...args)),
  };
  const b = breaker(slowClaims);
  for (let i = 0; i < 3; i++) await call(b, boom);
  await sleep(50);
  let probes = 0;
  const probe = call(b, () => (probes++, sleep(60).then(ok)));
  await sleep(10);
  // a claim of its own would reach the store after the first one, during the probe, and be refused
  const during = call(b, ok);
  assert.deepEqual(
    await Promise.all([probe, during]),
    ["ok", "ok"],
    "it went through once the probe closed it",
  );
  assert.equal(calls.claim, 1, "one claim between the two calls");
  assert.equal(probes, 1);
});

Deno.test("createSharedBreaker() lets a call through when a probe closed the circuit while its claim was refused", async () => {
  const { store } = memoryStore();
  // b's claims are decided at once and answered 30 ms later, as across a slow database
  const slowAnswers: BreakerStore = {
    ...store,
    claimProbe: (...args) => store.claimProbe(...args).then((claimed) => sleep(30).then(() => claimed)),
  };
  const [a, b] = [breaker(store), breaker(slowAnswers)];
  for (let i = 0; i < 3; i++) await call(a, boom);
  await call(b, ok); // b holds the opening
  await sleep(50);
  const probe = call(a, () => sleep(20).then(ok));
  await sleep(5);
  const refused = call(b, ok); // a holds the claim
  assert.equal(await probe, "ok");
  const next = call(b, ok); // b reads the closed circuit while its claim's refusal is on its way
  assert.deepEqual(await Promise.all([refused, next]), ["ok", "ok"]);
  assert.equal(b.state(), "closed");
});

Deno.test("createSharedBreaker() closes every isolate's circuit after one successful probe", async () => {
  const { store } = memoryStore();
  const [a, b] = [breaker(store), breaker(store)];
  for (let i = 0; i < 3; i++) await call(a, boom);
  await call(b, ok);
  await sleep(50);
  assert.equal(await call(a, ok), "ok");
  assert.equal(a.state(), "closed");
  assert.equal(await call(b, ok), "ok");
  assert.equal(b.state(), "closed");
});

Deno.test("createSharedBreaker() reads the store at most once per readIntervalMs", async () => {
  const { store, calls } = memoryStore();
  const b = breaker(store, { readIntervalMs: 60_000 });
  for (let i = 0; i < 20; i++) await call(b, ok);
  assert.equal(calls.read, 1);
});

Deno.test("createSharedBreaker() holds calls for an isolate's first read only", async () => {
  const { store } = memoryStore();
  let reads = 0;
  const stalled: BreakerStore = {
    ...store,
    // the first read answers; every later one never does, as a store that stopped answering
    read: (name) => ++reads === 1 ? store.read(name) : new Promise(() => {}),
  };
  const b = breaker(stalled);
  assert.equal(await call(b, ok), "ok");
  assert.equal(await call(b, ok), "ok");
  assert.equal(await call(b, ok), "ok");
  assert.equal(reads, 2, "one later read under way at a time");
});

Deno.test("createSharedBreaker() writes on transitions only", async () => {
  const { store, calls } = memoryStore();
  const b = breaker(store);
  for (let i = 0; i < 10; i++) await call(b, ok);
  assert.equal(calls.write, 0, "calls while closed write nothing");
  for (let i = 0; i < 6; i++) await call(b, boom);
  assert.equal(calls.write, 1, "one write for the opening, none for the rejected calls");
  await sleep(50);
  await call(b, ok);
  assert.equal(calls.write, 2, "one for the closing");
});

Deno.test("createSharedBreaker() goes on alone when the store cannot be reached", async () => {
  const { store, fail } = memoryStore();
  const errors: unknown[] = [];
  const b = breaker(store, { onStoreError: (error) => errors.push(error) });
  fail(true);
  const outcomes = [];
  for (let i = 0; i < 4; i++) outcomes.push(await call(b, boom));
  assert.deepEqual(outcomes, ["failed", "failed", "failed", "rejected"]);
  assert.ok(errors.length >= 1);
  await sleep(50);
  assert.equal(await call(b, ok), "ok", "it probes on its own when it cannot claim the probe");
});

Deno.test("createSharedBreaker() loses a stale write, keeps the stored opening and reads it next", async () => {
  const { store, rows } = memoryStore();
  let bReads = 0;
  const bStore: BreakerStore = { ...store, read: (name) => (bReads++, store.read(name)) };
  const [a, b] = [breaker(store), breaker(bStore, { readIntervalMs: 60_000 })];
  await call(b, ok); // b read the empty store and would not read again for a minute
  for (let i = 0; i < 3; i++) await call(a, boom);
  const stored = structuredClone(rows.get("quotes"));
  for (let i = 0; i < 3; i++) await call(b, boom);
  assert.deepEqual(rows.get("quotes"), stored, "b's write of its own opening lost to a's");
  await call(b, ok);
  assert.equal(bReads, 2, "having lost, b read the stored state at once");
});

Deno.test("createSharedBreaker() reports the transitions it wrote and the calls it rejected", async () => {
  const events: BreakerEvent[] = [];
  const b = breaker(memoryStore().store, { onEvent: (event) => events.push(event) });
  for (let i = 0; i < 4; i++) await call(b, boom);
  await sleep(50);
  await call(b, ok);
  const breaking = events.filter((e) => e.kind !== "call");
  assert.deepEqual(breaking.map((e) => e.kind === "transition" ? `${e.from}->${e.to}` : e.kind), [
    "closed->open",
    "rejected",
    "open->half-open",
    "half-open->closed",
  ]);
});

Deno.test("createSharedBreaker() reports each call it let through, failed as isFailure judges", async () => {
  const events: BreakerEvent[] = [];
  const b = breaker(memoryStore().store, {
    onEvent: (event) => events.push(event),
    isFailure: (error) => (error as Error).message !== "bad input",
  });
  await call(b, ok);
  await call(b, boom);
  await call(b, () => Promise.reject(new Error("bad input")));
  const calls = events.filter((e) => e.kind === "call");
  assert.deepEqual(calls.map((e) => [e.name, e.failed]), [["quotes", false], ["quotes", true], [
    "quotes",
    false,
  ]]);
  assert.ok(calls.every((e) => e.latencyMs >= 0));
});

Deno.test("createSharedBreaker() counts only the errors isFailure says are the dependency's", async () => {
  const b = breaker(memoryStore().store, { isFailure: (error) => (error as Error).message !== "bad input" });
  const badInput = () => Promise.reject(new Error("bad input"));
  for (let i = 0; i < 5; i++) await call(b, badInput);
  assert.equal(b.state(), "closed");
});

Deno.test("createSharedBreaker() refuses options out of range, saying which and what it got", () => {
  const { store } = memoryStore();
  assert.throws(() => breaker(store, { name: "" }), /name must be 1 to 200 characters/);
  assert.throws(() => breaker(store, { halfOpenAfterMs: 0 }), /halfOpenAfterMs must be >= 1: got 0/);
  assert.throws(
    () => breaker(store, { rule: { kind: "consecutive", failures: 0 } }),
    /failures must be an integer >= 1: got 0/,
  );
  assert.throws(
    () => breaker(store, { rule: { kind: "sampling", threshold: 1, durationMs: 10_000, minimumRps: 1 } }),
    /threshold must be between 0 and 1, both excluded: got 1/,
  );
  assert.throws(
    () => breaker(store, { rule: { kind: "sampling", threshold: 0.5, durationMs: 10_000, minimumRps: 0 } }),
    /minimumRps must be > 0: got 0/,
  );
});
