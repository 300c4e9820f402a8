import assert from "node:assert/strict";
import { createSql, databaseUrl } from "../../shared/db/client.ts";

Deno.test("databaseUrl() prefers OPTIMIZER_DB_URL (the pooler) over SUPABASE_DB_URL", () => {
  const env: Record<string, string> = {
    OPTIMIZER_DB_URL: "postgresql://pooler:6543/postgres",
    SUPABASE_DB_URL: "postgresql://direct:5432/postgres",
  };
  assert.equal(databaseUrl((name) => env[name]), "postgresql://pooler:6543/postgres");
  assert.equal(
    databaseUrl((name) => (name === "SUPABASE_DB_URL" ? env[name] : undefined)),
    env.SUPABASE_DB_URL,
  );
});

Deno.test("databaseUrl() says which variable to set when none is", () => {
  assert.throws(
    () => databaseUrl(() => undefined),
    /set OPTIMIZER_DB_URL \(on hosted: the transaction pooler URL, port 6543\)/,
  );
});

Deno.test("createSql() opens no connection until the first query and rejects bad options", async () => {
  const sql = createSql({ functionName: "metrics", url: "postgresql://u:p@127.0.0.1:1/db" });
  assert.equal(sql.options.max, 3);
  assert.equal(sql.options.prepare, false);
  assert.equal(sql.options.connection.application_name, "optimizer-metrics");
  await sql.end();
  assert.throws(
    () => createSql({ functionName: "m", url: "postgresql://x/db", max: 0 }),
    /max must be a whole number >= 1: got 0/,
  );
  assert.throws(() => createSql({ functionName: "a b", url: "postgresql://x/db" }), /functionName must be/);
});
