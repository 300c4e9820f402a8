import { type OptimizationConfig, OptimizationConfigSchema } from "../config/config.ts";
import type { Action } from "../finding/finding.ts";
import { fieldIssues } from "../http/validation.ts";
import { storedName } from "../sql/identifiers.ts";

/**
 * What applying a finding's action means, decided before anything runs. Only safe kinds are applied:
 * - an `sql` action that is one `create [unique] index concurrently <name> on <table> …` statement: built
 *   without blocking writes, outside a transaction (recommendation_store.ts), named so that a failed build's
 *   leftover and the rollback can be found by name. Text after the definition cannot smuggle in a second
 *   statement: Postgres refuses `create index concurrently` in a string of several statements (they form an
 *   implicit transaction block), and as it comes first, nothing runs;
 * - an `sql` action that is one `drop index concurrently [if exists] <schema>.<name>` statement: dropped
 *   without blocking reads or writes, outside a transaction, only when the index enforces nothing (no
 *   primary key, unique or constraint index, nor the table's replica identity: dropping those changes what
 *   the table accepts or what logical replication sends), and undone by building the index again,
 *   concurrently, from its pg_get_indexdef() read just before the drop;
 * - a `config` patch, merged into the stored config and checked against the config schema, undone by a
 *   patch that restores the values it replaced;
 * - guidance is for a person and is never applied.
 */

/** A concurrent index build. */
export interface IndexPlan {
  /** Tells the plans apart. */
  kind: "index";
  /** The statement as the finding gives it, without a trailing semicolon. */
  statement: string;
  /** The index's name as Postgres stores it (unquoted names folded to lower case). */
  indexName: string;
  /** The table as written in the statement, for to_regclass(). */
  table: string;
}

/** A concurrent index drop. */
export interface DropIndexPlan {
  /** Tells the plans apart. */
  kind: "drop-index";
  /** The statement as the finding gives it, without a trailing semicolon. */
  statement: string;
  /** The index as written in the statement, for to_regclass(). */
  index: string;
}

/** A config patch. */
export interface ConfigPlan {
  /** Tells the plans apart. */
  kind: "config";
  /** The partial config to merge into the stored one. */
  patch: Record<string, unknown>;
}

/** A plan, or why the action cannot be applied. */
export type ApplyPlan = IndexPlan | DropIndexPlan | ConfigPlan | { kind: "refused"; reason: string };

const identifier = String.raw`(?:"(?:[^"\u0000]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)`;
const indexStatement = new RegExp(
  String.raw`^\s*create\s+(?:unique\s+)?index\s+concurrently\s+(?:if\s+not\s+exists\s+)?(${identifier})` +
    String.raw`\s+on\s+(?:only\s+)?(${identifier}(?:\s*\.\s*${identifier})?)\s*(?:using\s+\w+\s*)?\(`,
  "i",
);
const dropStatement = new RegExp(
  String.raw`^\s*drop\s+index\s+concurrently\s+(?:if\s+exists\s+)?(${identifier}\s*\.\s*${identifier})` +
    String.raw`(?:\s+restrict)?\s*$`,
  "i",
);

/** Decides how `action` would be applied (see the top of this file). */
export function planApply(action: Action): ApplyPlan {
  if (action.kind === "guidance") {
    return {
      kind: "refused",
      reason: "this finding's action is guidance for a person to act on: the suite cannot apply it",
    };
  }
  if (action.kind === "config") return { kind: "config", patch: action.patch };
  const statement = action.sql.trim().replace(/;\s*$/, "");
  const build = indexStatement.exec(statement);
  if (build) return { kind: "index", statement, indexName: storedName(build[1]), table: build[2] };
  const drop = dropStatement.exec(statement);
  if (drop) return { kind: "drop-index", statement, index: drop[1] };
  return {
    kind: "refused",
    reason: "only SQL that is one named `create index concurrently <name> on <table> (…)` or one " +
      "`drop index concurrently <schema>.<name>` statement is applied by the suite: run other SQL yourself " +
      "after reviewing it",
  };
}

/**
 * The statement that builds a plain (not unique) index again, concurrently, from its pg_get_indexdef(); null
 * for a definition of another form.
 */
export function concurrentBuild(definition: string): string | null {
  const plain = /^create\s+index\s+/i.exec(definition);
  return plain ? `create index concurrently ${definition.slice(plain[0].length)}` : null;
}

/** The config a patch would make, or the issues (`path: message`) that make it invalid. */
export function patchConfig(
  current: OptimizationConfig,
  patch: Record<string, unknown>,
): { config: OptimizationConfig; rollback: Record<string, unknown> } | { issues: string[] } {
  const merged: Record<string, unknown> = { ...current };
  const rollback: Record<string, Record<string, unknown>> = {};
  for (const [section, settings] of Object.entries(patch)) {
    const was = (current as unknown as Record<string, Record<string, unknown>>)[section];
    if (typeof settings !== "object" || settings === null || Array.isArray(settings) || !was) {
      merged[section] = settings;
      continue;
    }
    merged[section] = { ...was, ...settings };
    rollback[section] = Object.fromEntries(Object.keys(settings).map((key) => [key, was[key]]));
  }
  const parsed = OptimizationConfigSchema.safeParse(merged);
  if (!parsed.success) return { issues: fieldIssues(parsed.error).map((i) => `${i.path}: ${i.message}`) };
  return { config: parsed.data, rollback };
}
