/**
 * createTargetAnalyzer() on the real stack: what it reads for the rules, and the notes it adds after theirs.
 */
import assert from "node:assert/strict";
import { createTargetAnalyzer } from "../../shared/analyze/target_analyzer.ts";
import { event, ingest, recentContext, rollup, uniqueTarget, withSql } from "../support/metric_store_db.ts";
import { MINUTE_MS } from "../../shared/time.ts";

Deno.test("createTargetAnalyzer() gives the rules the targets' series and windows, and its notes follow theirs", async () => {
  await withSql(async (sql) => {
    const fn = uniqueTarget("target-analyzer");
    const now = Date.now();
    await ingest(sql, [event(fn, { occurred_at: new Date(now - MINUTE_MS).toISOString() })]);
    await rollup(sql);
    const analyzer = createTargetAnalyzer({
      name: "targets",
      filter: { system: "edge", kind: "request" },
      targets: "functions",
      maxTargets: 10_000,
      decide: (read) => ({
        findings: [],
        rejected: [],
        notes: [
          `read ${read.series.some((s) => s.target === fn) ? "mine" : "not mine"}`,
          `window ${read.window.from === read.windows.current.from.toISOString()}`,
          `previous ${read.previousWindow.to === read.window.from}`,
        ],
      }),
      notes: ["always"],
    });
    const result = await analyzer.analyze(recentContext(sql, now));
    assert.equal(analyzer.name, "targets");
    assert.deepEqual(result.notes, ["read mine", "window true", "previous true", "always"]);
  });
});
