import type { Rejection } from "../recommendations/analyzer.ts";
import { qualifiedName, quoteIdent } from "../sql/identifiers.ts";
import { type CallSite, findCalls, identityColumns, wrapCalls } from "./policy_expression.ts";

/**
 * The pure decisions of the row level security analyzer: which policies call a function once per row that
 * could run once per statement (and the rewrite that does so), which tables have several permissive policies
 * for one role and action, and which columns policies compare with the caller's identity without an index
 * leading on them. Every policy or column considered and passed over keeps its reason.
 */

/** The command a policy applies to (pg_policy.polcmd). */
export type PolicyCommand = "select" | "insert" | "update" | "delete" | "all";

/** A policy as the catalog holds it, its expressions printed by pg_get_expr with an empty search_path. */
export interface Policy {
  /** The table's schema. */
  schema: string;
  /** The table the policy guards. */
  table: string;
  /** The policy's name. */
  name: string;
  /** Permissive policies are OR-ed together; restrictive ones AND-ed onto them. */
  permissive: boolean;
  /** Role names; `public` means every role. */
  roles: string[];
  /** The command it applies to. */
  command: PolicyCommand;
  /** USING, or null when the policy has none (an insert policy). */
  using: string | null;
  /** WITH CHECK, or null when the policy has none. */
  withCheck: string | null;
}

/** What the catalog says of a function (pg_proc), over all its overloads. */
export interface FunctionTraits {
  /** pg_proc.provolatile of its most volatile overload. */
  volatility: "immutable" | "stable" | "volatile";
  /** Whether it returns a set (a set-returning function cannot be a scalar sub-select). */
  returnsSet: boolean;
}

/** Traits by `schema.function`; names missing here are syntax (COALESCE, NULLIF, …) or unknown. */
export type FunctionCatalog = ReadonlyMap<string, FunctionTraits>;

/** The rewrite of one policy: each per-row call wrapped in `(select …)`, with the DDL and its rollback. */
export interface PolicyRewrite {
  /** The policy rewritten. */
  policy: Policy;
  /** The new USING (null where the policy has none). */
  using: string | null;
  /** The new WITH CHECK (null where the policy has none). */
  withCheck: string | null;
  /** The calls wrapped, as written, e.g. `auth.uid()`. */
  wrapped: string[];
  /** Whether every wrapped call is STABLE, which makes the rewrite admit exactly the same rows. */
  semanticsPreserving: boolean;
  /** The `alter policy` that applies the rewrite. */
  sql: string;
  /** The `alter policy` that restores the original expressions. */
  rollback: string;
}

/** Why wrapping STABLE calls keeps a policy's meaning; stated in findings and relied on by autoApplicable. */
export const wrapPreservesSemantics: string =
  "a STABLE function returns the same result for the same arguments within one statement, and these calls " +
  "read no column of the row, so evaluating each once per statement in an uncorrelated scalar sub-select (an " +
  "initPlan) gives every row the value the per-row call gives it: the policy admits exactly the same rows";

/** The table a policy guards, quoted: `"public"."robots"`. */
export function policyTable(policy: Pick<Policy, "schema" | "table">): string {
  return qualifiedName(policy.schema, policy.table);
}

/** A policy's name in findings and rejections: `policy:public.robots."owners manage their robots"`. */
export function policySubject(policy: Pick<Policy, "schema" | "table" | "name">): string {
  return `policy:${policy.schema}.${policy.table}.${quoteIdent(policy.name)}`;
}

/** `alter policy … using (…) with check (…)`, each clause only where the policy has it. */
export function alterPolicySql(policy: Policy, using: string | null, withCheck: string | null): string {
  const clauses = [
    using === null ? "" : ` using (${using})`,
    withCheck === null ? "" : ` with check (${withCheck})`,
  ];
  return `alter policy ${quoteIdent(policy.name)} on ${policyTable(policy)}${clauses.join("")}`;
}

/** Why a call is not wrapped, or null when it should be. */
function keepPerRowReason(call: CallSite, traits: FunctionTraits | undefined): string | null {
  if (!traits) return "not a function in the catalog (syntax such as COALESCE, or not found)";
  if (call.evaluatedOnce) return "already evaluated once per statement (an initPlan)";
  if (traits.volatility === "immutable") return "immutable: Postgres folds a call with constant arguments";
  if (traits.returnsSet) return "returns a set: a scalar sub-select of it fails on a second row";
  if (call.argumentColumns.length > 0) {
    return `reads column ${call.argumentColumns.join(", ")} of the row, so it runs per row by necessity`;
  }
  return null;
}

/** The calls of `expression` to wrap (outermost only), and the reasons for the others. */
function callsToWrap(
  expression: string,
  functions: FunctionCatalog,
  subject: string,
  rejected: Rejection[],
): { wrap: CallSite[]; volatile: boolean } {
  const wrap: CallSite[] = [];
  let volatile = false;
  for (const call of findCalls(expression)) {
    // a call inside one already chosen goes with it
    if (wrap.some((outer) => call.start >= outer.start && call.end <= outer.end)) continue;
    const traits = functions.get(`${call.schema}.${call.function}`);
    const reason = keepPerRowReason(call, traits);
    if (reason !== null) {
      if (traits) rejected.push({ rule: "rls.per-row-call", subject, reason: `${call.text}: ${reason}` });
      continue;
    }
    wrap.push(call);
    volatile ||= traits!.volatility === "volatile";
  }
  return { wrap, volatile };
}

/**
 * The rewrite of `policy` that evaluates its per-row function calls once per statement, or null with the
 * reasons when it has none: a call is wrapped when it is STABLE or VOLATILE, returns one value, reads no
 * column of the row and is not already inside a scalar sub-select.
 */
export function planPolicyRewrite(
  policy: Policy,
  functions: FunctionCatalog,
): { rewrite: PolicyRewrite | null; rejected: Rejection[] } {
  const subject = policySubject(policy);
  const rejected: Rejection[] = [];
  const using = policy.using === null ? null : callsToWrap(policy.using, functions, subject, rejected);
  const check = policy.withCheck === null
    ? null
    : callsToWrap(policy.withCheck, functions, subject, rejected);
  const wrapped = [...(using?.wrap ?? []), ...(check?.wrap ?? [])];
  if (wrapped.length === 0) {
    if (rejected.length === 0) {
      rejected.push({ rule: "rls.per-row-call", subject, reason: "the policy calls no function" });
    }
    return { rewrite: null, rejected };
  }
  const newUsing = policy.using === null ? null : wrapCalls(policy.using, using!.wrap);
  const newCheck = policy.withCheck === null ? null : wrapCalls(policy.withCheck, check!.wrap);
  return {
    rewrite: {
      policy,
      using: newUsing,
      withCheck: newCheck,
      wrapped: [...new Set(wrapped.map((call) => call.text))],
      semanticsPreserving: !(using?.volatile || check?.volatile),
      sql: alterPolicySql(policy, newUsing, newCheck),
      rollback: alterPolicySql(policy, policy.using, policy.withCheck),
    },
    rejected,
  };
}

/** The commands `all` stands for. */
const commands = ["select", "insert", "update", "delete"] as const;

/** Several permissive policies that all apply to the same roles and commands of one table. */
export interface PermissiveOverlap {
  /** The table's schema. */
  schema: string;
  /** The table. */
  table: string;
  /** The policies, by name, sorted. */
  policies: string[];
  /** Each role and command for which exactly these policies apply, e.g. `authenticated select`. */
  appliesTo: { role: string; command: Exclude<PolicyCommand, "all"> }[];
}

/**
 * Tables where more than one permissive policy applies to one role and command: Postgres evaluates them all,
 * OR-ed, for every row. A policy for `public` applies to every role: it is counted for each role any policy
 * of the table names, and for `apiRoles` (the roles PostgREST runs requests as).
 */
export function findPermissiveOverlaps(policies: Policy[], apiRoles: readonly string[]): PermissiveOverlap[] {
  const byTable = Map.groupBy(policies.filter((p) => p.permissive), (p) => policyTable(p));
  const overlaps: PermissiveOverlap[] = [];
  for (const tablePolicies of byTable.values()) {
    const roles = new Set([...apiRoles, ...tablePolicies.flatMap((p) => p.roles)]);
    roles.delete("public");
    const bySet = new Map<string, PermissiveOverlap>();
    for (const role of [...roles].sort()) {
      for (const command of commands) {
        const names = tablePolicies
          .filter((p) => (p.roles.includes(role) || p.roles.includes("public")))
          .filter((p) => p.command === "all" || p.command === command)
          .map((p) => p.name)
          .sort();
        if (names.length < 2) continue;
        const key = JSON.stringify(names);
        const overlap = bySet.get(key) ??
          { schema: tablePolicies[0].schema, table: tablePolicies[0].table, policies: names, appliesTo: [] };
        overlap.appliesTo.push({ role, command });
        bySet.set(key, overlap);
      }
    }
    overlaps.push(...bySet.values());
  }
  return overlaps;
}

/** An index as far as the policy column check needs it. */
export interface IndexLead {
  /** The table's schema. */
  schema: string;
  /** The indexed table. */
  table: string;
  /** The index's name. */
  name: string;
  /** The first key column's name, or null when the index leads with an expression. */
  leadingColumn: string | null;
  /** A partial index serves only the rows its predicate keeps. */
  partial: boolean;
  /** An invalid index (a failed concurrent build) is not used. */
  valid: boolean;
}

/** A column that policies compare with the caller's identity and no index leads on. */
export interface UnindexedPolicyColumn {
  /** The table's schema. */
  schema: string;
  /** The table. */
  table: string;
  /** The column no index leads on. */
  column: string;
  /** The policies comparing it, by name. */
  policies: string[];
}

/**
 * Columns that policies compare with a function call or sub-select (`auth.uid() = user_id`) and that no
 * valid, non-partial index leads on; columns an index does lead on are passed over with its name.
 */
export function findUnindexedPolicyColumns(
  policies: Policy[],
  indexes: IndexLead[],
): { columns: UnindexedPolicyColumn[]; rejected: Rejection[] } {
  const byColumn = new Map<string, UnindexedPolicyColumn>();
  for (const policy of policies) {
    const expressions = [policy.using, policy.withCheck].filter((e): e is string => e !== null);
    for (const column of new Set(expressions.flatMap(identityColumns))) {
      const key = JSON.stringify([policy.schema, policy.table, column]);
      const entry = byColumn.get(key) ?? { schema: policy.schema, table: policy.table, column, policies: [] };
      entry.policies.push(policy.name);
      byColumn.set(key, entry);
    }
  }
  const columns: UnindexedPolicyColumn[] = [];
  const rejected: Rejection[] = [];
  for (const entry of byColumn.values()) {
    const serving = indexes.find((index) =>
      index.schema === entry.schema && index.table === entry.table && index.leadingColumn === entry.column &&
      index.valid && !index.partial
    );
    if (serving) {
      rejected.push({
        rule: "rls.unindexed-policy-column",
        subject: columnSubject(entry),
        reason: `index ${serving.name} leads on ${entry.column}`,
      });
    } else columns.push(entry);
  }
  return { columns, rejected };
}

/** A column's name in findings and rejections: `column:public.robots.user_id`. */
export function columnSubject(column: Pick<UnindexedPolicyColumn, "schema" | "table" | "column">): string {
  return `column:${column.schema}.${column.table}.${column.column}`;
}

/**
 * The DDL that stands in, for measuring, for an overlap's SELECT by `role`: drop the overlapping policies
 * and create one permissive policy whose USING is the OR of theirs, which admits the same rows for that role
 * and command (Postgres ORs permissive policies). It drops them for their other roles and commands too, so
 * it is for a rolled-back measurement only; null when a policy has no USING (an INSERT-only policy).
 */
export function mergedSelectPolicySql(
  overlap: PermissiveOverlap,
  policies: Policy[],
  role: string,
): string | null {
  const involved = policies.filter((p) =>
    p.schema === overlap.schema && p.table === overlap.table && overlap.policies.includes(p.name)
  );
  if (involved.some((p) => p.using === null)) return null;
  const table = policyTable(overlap);
  return [
    ...involved.map((p) => `drop policy ${quoteIdent(p.name)} on ${table}`),
    `create policy ${quoteIdent(`merged: ${overlap.policies.join(" | ")}`.slice(0, 63))} on ${table} ` +
    `as permissive for select to ${quoteIdent(role)} using (${
      involved.map((p) => `(${p.using})`).join(" or ")
    })`,
  ].join(";\n");
}
