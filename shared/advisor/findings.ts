import { createFinding, estimatedGain, type Finding, type Window } from "../finding/finding.ts";
import { type Candidate, indexDdl, indexName } from "./candidates.ts";
import type { ChosenIndex } from "./select.ts";
import { readableIdent } from "../sql/identifiers.ts";

/**
 * Step 6, the findings: each chosen index as a Finding with the statements it speeds up (cost before and
 * after, weighted saving), its estimated size, its write penalty and the exact DDL with its rollback; and a
 * finding suggesting pg_trgm when `like`/`ilike` statements would need it and it is not installed.
 */

/** The model behind every index saving: see select.ts. */
export const savingModel =
  "hypopg generic-plan cost ratio (after / before) × the statements' execution time over the window";

const trialBuildModel = "planner cost with the index built in a rolled-back transaction, " +
  "ratio (after / before) × the statements' execution time over the window";

const MB = 1024 * 1024;

function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Pure: the `drop index` that undoes the suggested `create index`. */
export function rollbackDdl(c: Candidate): string {
  return `drop index concurrently if exists ${readableIdent(c.schema)}.${readableIdent(indexName(c))}`;
}

/** The series the advisor reads where the suite's snapshots are installed: statement and table deltas. */
export const snapshotSeries: readonly string[] = ["optimizer.statement_deltas", "optimizer.table_deltas"];

/**
 * Pure: the Finding of one chosen index; `series` names what the workload and the writes were read from
 * (snapshotSeries, else pg_stat_statements' and pg_stat_user_tables' cumulative counters).
 */
export function indexFinding(
  chosen: ChosenIndex,
  window: Window,
  texts: Map<string, string>,
  series: readonly string[] = snapshotSeries,
): Finding {
  const c = chosen.candidate;
  const lines = chosen.statements
    .sort((a, b) => b.savingMs - a.savingMs)
    .map((s) =>
      `- statement ${s.queryid} (${s.calls} calls): cost ${round(s.before)} → ${round(s.after)}, ` +
      `saves ${round(s.savingMs)} ms: ${(texts.get(s.queryid) ?? "").replace(/\s+/g, " ").slice(0, 200)}`
    );
  const sizeMb = chosen.sizeBytes / MB;
  const keys = c.keys.map((k) => k.sql).join(", ");
  const title = `Index ${c.schema}.${c.table} (${keys}) would save an estimated ${
    round(chosen.savingMs, 0)
  } ms over the window`;
  return createFinding({
    rule: "index.suggest",
    system: "db",
    subject: c.subject,
    severity: chosen.savingMs - chosen.penaltyMs >= 1000 ? "warning" : "info",
    title: title.length > 200 ? `${title.slice(0, 197)}...` : title,
    detail: [
      `A ${c.method} index (${c.kind}) on ${c.schema}.${c.table} speeds up ${chosen.statements.length} ` +
      `statement(s) of the workload, chosen for the whole workload together with the other suggestions; ` +
      "its saving is what the workload would lose without it, the other suggestions kept:",
      ...lines,
      `Estimated size ${round(sizeMb)} MB; write penalty ${round(chosen.penaltyMs)} ms over the window ` +
      `(${chosen.entries} index entries written); net saving ${
        round(chosen.savingMs - chosen.penaltyMs)
      } ms.`,
      `Create it with: ${indexDdl(c, indexName(c), true)}`,
    ].join("\n"),
    evidence: {
      series: [...series],
      windows: [window],
      statistic: {
        name: "estimated net saving",
        value: round(chosen.savingMs - chosen.penaltyMs),
        unit: "ms",
      },
    },
    gain: estimatedGain(round(chosen.savingMs), "ms", c.method === "btree" ? savingModel : trialBuildModel),
    action: { kind: "sql", sql: indexDdl(c, indexName(c), true), rollback: rollbackDdl(c) },
    autoApplicable: true,
  });
}

/** A statement an index finding speeds up, as its detail lists it. */
export interface ServedStatement {
  /** pg_stat_statements' queryid, as text. */
  queryid: string;
  /** Its calls over the finding's window. */
  calls: number;
  /** What the index was estimated to save on it over the window, in ms. */
  savingMs: number;
}

const servedLine = /^- statement (-?\d+) \((\d+) calls\): cost [^,]*, saves (-?[\d.]+) ms/;

/** Pure: the statements an `index.suggest` finding speeds up, read from the lines indexFinding() writes. */
export function servedStatements(finding: Pick<Finding, "detail">): ServedStatement[] {
  return finding.detail.split("\n").flatMap((line) => {
    const match = servedLine.exec(line);
    return match ? [{ queryid: match[1], calls: Number(match[2]), savingMs: Number(match[3]) }] : [];
  });
}

/** Pure: the finding suggesting pg_trgm for `like`/`ilike` filters no btree can serve. */
export function trigramFinding(
  needs: { schema: string; table: string; key: string; statements: string[] }[],
  window: Window,
  series: readonly string[] = snapshotSeries.slice(0, 1),
): Finding {
  const statements = new Set(needs.flatMap((n) => n.statements));
  return createFinding({
    rule: "index.suggest-pg-trgm",
    system: "db",
    subject: "extension:pg_trgm",
    severity: "info",
    title:
      `${statements.size} statement(s) filter with like/ilike, which only a trigram index (pg_trgm) serves`,
    detail: [
      "pg_trgm is not installed, so the advisor cannot propose trigram GIN indexes for:",
      ...needs.map((n) => `- ${n.schema}.${n.table} (${n.key}): statements ${n.statements.join(", ")}`),
      "Install it, then run the analysis again to have the indexes evaluated.",
    ].join("\n"),
    evidence: {
      series: [...series],
      windows: [window],
      statistic: { name: "like/ilike statements", value: statements.size, unit: "statements" },
    },
    gain: null,
    action: {
      kind: "sql",
      sql: "create extension if not exists pg_trgm with schema extensions",
      rollback: "drop extension if exists pg_trgm",
    },
    autoApplicable: false,
  });
}
