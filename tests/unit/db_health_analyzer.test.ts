import assert from "node:assert/strict";
import { defaultConfig } from "../../shared/config/config.ts";
import { judgeDbHealth } from "../../shared/db_health/db_health_analyzer.ts";
import { resolveDbHealthOptions } from "../../shared/db_health/db_health_options.ts";
import { catalog, index } from "../support/health_fixtures.ts";

Deno.test("judgeDbHealth() never proposes dropping both a used prefix and the unused index it leads", () => {
  const used = index("orders_customer_idx", [["customer_id", 2]], { scans: 900 });
  const unused = index("orders_customer_created_idx", [["customer_id", 2], ["created_at", 3]], { scans: 0 });
  const result = judgeDbHealth(catalog({ indexes: [used, unused] }), resolveDbHealthOptions(), defaultConfig);
  assert.deepEqual(result.findings.map((f) => [f.rule, f.subject]), [
    ["index.unused", "index:public.orders_customer_created_idx"],
  ]);
  assert.ok(
    result.rejected.some((r) =>
      r.rule === "index.prefix-redundant" && r.subject === "index:public.orders_customer_idx" &&
      /itself proposed for dropping/.test(r.reason)
    ),
  );
});

Deno.test("judgeDbHealth() states the statistics window and the schemas left out", () => {
  const { notes } = judgeDbHealth(catalog(), resolveDbHealthOptions(), defaultConfig);
  assert.ok(notes.includes(
    "index scans and cache hits are counted since 2026-10-29T12:00:00.000Z (pg_stat_database.stats_reset)",
  ));
  assert.ok(
    notes.some((note) => note.startsWith("schemas left out: system schemas and optimizer, auth, storage")),
  );
});
