/**
 * Whether every performance lint of `supabase db advisors` (Supabase's splinter) is among the suite's
 * findings, or explained by one of its recorded rejections (a candidate it looked at and dropped, with the
 * reason). Lints are matched by the suite rule that covers the same problem and by what they name: the
 * indexes their detail names (`unused_index`, `duplicate_index`), otherwise their table.
 */

/** A lint as `supabase db advisors --output-format json` prints it. */
export interface Lint {
  name: string;
  /** E.g. "Index `idx_robots_name_trgm` on table `public.robots` has not been used". */
  detail?: string;
  metadata?: { schema?: string; name?: string };
}

/** How one lint is covered. */
export interface LintCoverage {
  lint: string;
  /** `schema.table` the lint names, with the indexes its detail names: `public.robots (idx_a, idx_b)`. */
  table: string;
  /** The suite's rule for it; null when the suite has none. */
  rule: string | null;
  /** found: a finding names the table; explained: a rejection does, with its reason; missing: neither. */
  outcome: "found" | "explained" | "missing";
  /** The finding's title, the rejection's reason, or why it is missing. */
  detail: string;
}

/** The suite's rule for each of splinter's performance lints. */
export const lintRules: Readonly<Record<string, string>> = {
  unindexed_foreign_keys: "index.unindexed-foreign-key",
  auth_rls_initplan: "rls.per-row-call",
  no_primary_key: "table.no-primary-key",
  unused_index: "index.unused",
  multiple_permissive_policies: "rls.multiple-permissive-policies",
  table_bloat: "table.bloat",
  duplicate_index: "index.duplicate",
};

/** Whether `subject` names `table` (`schema.table`, not as the start of a longer name). */
function names(subject: string, table: string): boolean {
  const escaped = table.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(^|[^A-Za-z0-9_$])${escaped}($|[^A-Za-z0-9_$])`).test(subject);
}

/**
 * The indexes an index lint's detail names: one in backquotes after "Index" (`unused_index`), or a set in
 * braces (`duplicate_index`: "has identical indexes {a,b}"); none for other lints.
 */
function indexesOf(lint: Lint): string[] {
  const detail = lint.detail ?? "";
  if (lint.name === "unused_index") {
    const single = /\bIndex `([^`]+)`/.exec(detail);
    return single ? [single[1]] : [];
  }
  if (lint.name === "duplicate_index") {
    const set = /\{([^}]+)\}/.exec(detail);
    return set ? set[1].split(",").map((name) => name.trim()).filter((name) => name !== "") : [];
  }
  return [];
}

/**
 * Pure: how each lint is covered by the findings and rejections of one refresh. A lint on a schema the suite's
 * analysis leaves out (`excludedSchemas`: its own, the platform's, the extensions') is explained by that.
 */
export function coverLints(
  lints: Lint[],
  findings: { rule: string; subject: string; title: string }[],
  rejections: { rule: string; subject: string; reason: string }[],
  excludedSchemas: readonly string[] = [],
): LintCoverage[] {
  return lints.map((lint) => {
    const schema = lint.metadata?.schema ?? "public";
    const indexes = indexesOf(lint);
    const table = `${schema}.${lint.metadata?.name ?? "?"}` +
      (indexes.length > 0 ? ` (${indexes.join(", ")})` : "");
    if (excludedSchemas.includes(schema)) {
      return {
        lint: lint.name,
        table,
        rule: lintRules[lint.name] ?? null,
        outcome: "explained",
        detail:
          `schema ${schema} is left out of the analysis (excludedSchemas of the database health options)`,
      };
    }
    // what a matching finding's subject must name: one of the lint's indexes, or else its table
    const objects = indexes.length > 0
      ? indexes.map((index) => `${schema}.${index}`)
      : [`${schema}.${lint.metadata?.name ?? "?"}`];
    const about = (subject: string) => objects.some((object) => names(subject, object));
    const rule = lintRules[lint.name] ?? null;
    if (rule === null) {
      return { lint: lint.name, table, rule, outcome: "missing", detail: "no suite rule covers this lint" };
    }
    const finding = findings.find((f) => f.rule === rule && about(f.subject));
    if (finding) return { lint: lint.name, table, rule, outcome: "found", detail: finding.title };
    const rejection = rejections.find((r) => r.rule === rule && about(r.subject));
    if (rejection) return { lint: lint.name, table, rule, outcome: "explained", detail: rejection.reason };
    return {
      lint: lint.name,
      table,
      rule,
      outcome: "missing",
      detail: `no ${rule} finding or rejection names it`,
    };
  });
}
