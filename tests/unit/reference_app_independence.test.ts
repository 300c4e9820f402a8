import assert from "node:assert/strict";
import { relative } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";
import { createAppSql } from "../../bench/reference_app/functions/_shared/runtime.ts";

/**
 * The reference app stands in for a customer's app: it may use the optimizer only as a customer would, through
 * instrument(), the shared cache's getOrLoad() (used only when APP_CACHE=shared) and the shared circuit breaker
 * (only when APP_BREAKER=shared). Were it to import the optimizer's app factory, auth or database client, a
 * change to those would move the baseline every gain is measured against.
 */

const root = new URL("../../", import.meta.url);
const appDir = new URL("bench/reference_app/", root);
const allowedFromShared = [
  "shared/metrics/instrument.ts",
  "shared/cache/shared_cache.ts",
  "shared/resilience/shared_breaker.ts",
  "shared/resilience/breaker_store.ts",
  "shared/resilience/breaker_events.ts",
];

async function* typescriptFiles(dir: URL): AsyncGenerator<URL> {
  for await (const entry of Deno.readDir(dir)) {
    const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
    if (entry.isDirectory) yield* typescriptFiles(url);
    else if (entry.name.endsWith(".ts")) yield url;
  }
}

/** Relative specifiers of every static import, export-from and dynamic import in `text`. */
function specifiers(text: string): string[] {
  const pattern = /(?:\bfrom\s+|\bimport\s*\(\s*|^\s*import\s+)["'](\.{1,2}\/[^"']+)["']/gm;
  return [...text.matchAll(pattern)].map(([, specifier]) => specifier);
}

Deno.test("reference app files import nothing of shared/ but instrument.ts, the shared cache and breaker", async () => {
  const offenders: string[] = [];
  let files = 0;
  for await (const file of typescriptFiles(appDir)) {
    files++;
    for (const specifier of specifiers(await Deno.readTextFile(file))) {
      const target = relative(fromFileUrl(root), fromFileUrl(new URL(specifier, file)));
      if (target.startsWith("shared/") && !allowedFromShared.includes(target)) {
        offenders.push(`${relative(fromFileUrl(root), fromFileUrl(file))} imports ${target}`);
      }
    }
  }
  assert.ok(files > 20, `read ${files} files under bench/reference_app/`);
  assert.deepEqual(offenders, []);
});

Deno.test("the import check sees static, re-exported and dynamic imports", () => {
  assert.deepEqual(
    specifiers(
      'import { a } from "../shared/app.ts";\nexport { b } from "./b.ts";\nconst c = await import("../c.ts");\n' +
        'import "./side_effect.ts";\nimport { z } from "zod";',
    ),
    ["../shared/app.ts", "./b.ts", "../c.ts", "./side_effect.ts"],
  );
});

Deno.test("the reference app's database connections carry its own application_name, not the optimizer's", async () => {
  const sql = createAppSql(
    "robots",
    (name) => name === "SUPABASE_DB_URL" ? "postgres://u:p@127.0.0.1:1/db" : undefined,
  );
  try {
    assert.equal(sql.options.connection.application_name, "quantforge-robots");
  } finally {
    await sql.end();
  }
});
