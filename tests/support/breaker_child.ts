/**
 * A function process of its own for tests/integration/breaker_store.test.ts: a breaker on the stack's
 * database (name from argv[0]) that calls a dependency which always fails until its circuit opens, then
 * prints its state and exits.
 */
import { createSql } from "../../shared/db/client.ts";
import { createBreakerStore } from "../../shared/resilience/breaker_store.ts";
import { createSharedBreaker } from "../../shared/resilience/shared_breaker.ts";

const sql = createSql({ functionName: "breaker-child", max: 1 });
const breaker = createSharedBreaker({
  name: Deno.args[0],
  store: createBreakerStore(sql),
  rule: { kind: "consecutive", failures: 3 },
  halfOpenAfterMs: 60_000,
});
for (let i = 0; i < 3; i++) await breaker.execute(() => Promise.reject(new Error("down"))).catch(() => {});
console.log(breaker.state());
await sql.end();
