import assert from "node:assert/strict";
import { checkMemorySetting, schemaFiles, shippedIndexNames } from "../../bench/reference_app/schema/mod.ts";

function namesIn(sql: string, pattern: RegExp): string[] {
  return [...sql.matchAll(pattern)].map((match) => match[1]).sort();
}

Deno.test("the shipped index file creates, and the drop file drops, exactly shippedIndexNames", async () => {
  const create = await Deno.readTextFile(schemaFiles.shippedIndexes);
  const drop = await Deno.readTextFile(schemaFiles.dropShippedIndexes);
  assert.deepEqual(namesIn(create, /create index if not exists (\w+)/g), [...shippedIndexNames]);
  assert.deepEqual(namesIn(drop, /drop index if exists public\.(\w+)/g), [...shippedIndexNames]);
});

Deno.test("the base schema has no index beyond its constraints and enables RLS on every table", async () => {
  const base = await Deno.readTextFile(schemaFiles.base);
  assert.doesNotMatch(base, /create (unique )?index/i);
  const tables = namesIn(base, /create table if not exists public\.(\w+)/g);
  const secured = namesIn(base, /alter table public\.(\w+) enable row level security/g);
  assert.deepEqual(secured, tables);
});

Deno.test("checkMemorySetting accepts Postgres memory sizes only", () => {
  assert.equal(checkMemorySetting("m", "256MB"), "256MB");
  assert.throws(() => checkMemorySetting("m", "256MB'; drop table x; --"), /m must look like 256MB/);
});
