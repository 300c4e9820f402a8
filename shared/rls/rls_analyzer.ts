import type { Sql } from "../db/client.ts";
import { createFinding, type Finding, measuredGain } from "../finding/finding.ts";
import { inRolledBackTransaction, type Tx } from "../db/rolled_back.ts";
import { type BoundStatement, formatMs, timeStatement, type Timing } from "../measure/explain_runs.ts";
import { measureDefaults, type MeasureOptions, resolveMeasureOptions } from "../measure/measure_options.ts";
import { bindParameters, parameterSlots } from "../measure/parameters.ts";
import { platformSchemas, representativeValue } from "../measure/representative.ts";
import { readWorkload, type WorkloadStatement } from "../workload/workload.ts";
import { readSelectShape } from "../query_shape/select_shape.ts";
import type { AnalysisContext, AnalysisResult, Analyzer, Rejection } from "../recommendations/analyzer.ts";
import { abbreviate } from "../sql/abbreviate.ts";
import { qualifiedName, quoteIdent } from "../sql/identifiers.ts";
import { ownStatement } from "../sql/own_statement.ts";
import {
  columnSubject,
  findPermissiveOverlaps,
  findUnindexedPolicyColumns,
  type FunctionCatalog,
  type FunctionTraits,
  type IndexLead,
  mergedSelectPolicySql,
  type PermissiveOverlap,
  planPolicyRewrite,
  type Policy,
  type PolicyRewrite,
  policySubject,
  policyTable,
  type UnindexedPolicyColumn,
  wrapPreservesSemantics,
} from "./policy_checks.ts";
import { findCalls, identityColumns } from "./policy_expression.ts";

/**
 * The row level security analyzer: reads the policies, finds per-row function calls, overlapping permissive
 * policies and unindexed policy columns (policy_checks.ts), and measures what fixing each gains. Each
 * measurement runs in one transaction that is always rolled back: as the role the policy is for, with the
 * claims of a real user, it times representative statements with EXPLAIN ANALYZE, applies the fix (the
 * `alter policy`, or the index), and times them again. Nothing it does outlives the transaction; while it
 * runs, `alter policy` holds an exclusive lock on the table, so lockTimeoutMs bounds how long it waits for it
 * and the few runs bound how long it holds it.
 */

/** Options of createRlsAnalyzer(); every one has a default (rlsAnalyzerDefaults). */
export interface RlsAnalyzerOptions extends MeasureOptions {
  /**
   * The rows of PostgREST's list request (`GET /rest/v1/<table>`) measured for every table: 1000, the
   * max-rows Supabase sets for its API.
   */
  listRows: number;
  /** Workload statements measured per table besides the list, heaviest first. */
  workloadStatementsPerTable: number;
  /** The roles a `public` policy is counted for in the overlap check: the roles PostgREST runs requests as. */
  apiRoles: string[];
  /** Schemas whose policies belong to the platform or the suite, not the project. */
  excludedSchemas: string[];
  /** When set, only policies in these schemas are read (a staging copy's one schema, a test's own). */
  schemas: string[] | null;
}

/** The defaults of RlsAnalyzerOptions. */
export const rlsAnalyzerDefaults: RlsAnalyzerOptions = {
  ...measureDefaults,
  listRows: 1000,
  workloadStatementsPerTable: 3,
  apiRoles: ["anon", "authenticated"],
  excludedSchemas: [...platformSchemas],
  schemas: null,
};

/**
 * The row level security analyzer (see the top of this file). Throws a RangeError that says which option is
 * wrong and how.
 */
export function createRlsAnalyzer(options: Partial<RlsAnalyzerOptions> = {}): Analyzer {
  const resolved = resolveMeasureOptions(rlsAnalyzerDefaults, options, {
    listRows: 1,
    workloadStatementsPerTable: 0,
  });
  return { name: "rls", analyze: (context) => analyzeRls(context, resolved) };
}

/** One statement timed before and after a change. */
interface StatementTiming {
  /** What was measured: PostgREST's list, or a workload statement with the start of its text. */
  label: string;
  /** Calls in the analysis window, for workload statements. */
  calls: number | null;
  before: Timing;
  after: Timing;
}

/** What a measurement of one change found. */
interface ChangeMeasurement {
  role: string;
  /** How the user whose claims were used was chosen, with the id. */
  user: string;
  statements: StatementTiming[];
  window: { from: string; to: string };
}

async function analyzeRls(context: AnalysisContext, options: RlsAnalyzerOptions): Promise<AnalysisResult> {
  const { sql } = context;
  const findings: Finding[] = [];
  const rejected: Rejection[] = [];
  const notes: string[] = [];

  // 1. the policies of the project's tables, their expressions printed with schema-qualified names
  const policies = await readPolicies(sql, options);
  if (policies.length === 0) {
    notes.push("no row level security policy on an RLS-enabled table outside the excluded schemas");
    return { findings, rejected, notes };
  }
  // 2. what the catalog says of every function they call
  const functions = await readFunctionCatalog(sql, policies, options);
  // 3. the workload, whose statements on a policy's table are measured with the list
  const workload = await readWorkloadOrNote(sql, context, notes);

  /** Measures `change` on the table of `fix.policy`; reports it through `report`, or records why not. */
  const measureFix = async (
    fix: {
      rule: string;
      subject: string;
      policy: Policy;
      role?: string;
      ownerColumn: string | null;
      change: string;
    },
    report: (measured: ChangeMeasurement) => Finding | null,
  ) => {
    try {
      const measured = await measureChange(sql, options, { ...fix, workload, rejected });
      const finding = report(measured);
      if (finding) findings.push(finding);
      else rejected.push(belowThreshold(fix.rule, fix.subject, measured, options));
    } catch (error) {
      rejected.push({
        rule: fix.rule,
        subject: fix.subject,
        reason: `could not be measured: ${(error as Error).message}`,
      });
    }
  };

  // 4. per-row calls: rewrite, measure, report
  for (const policy of policies) {
    const { rewrite, rejected: passed } = planPolicyRewrite(policy, functions);
    rejected.push(...passed);
    if (!rewrite) continue;
    if (Date.now() >= context.deadline) {
      notes.push(`deadline reached: ${policySubject(policy)} and later policies were not measured`);
      break;
    }
    await measureFix({
      rule: "rls.per-row-call",
      subject: policySubject(policy),
      policy,
      ownerColumn: identityColumns(policy.using ?? policy.withCheck ?? "")[0] ?? null,
      change: rewrite.sql,
    }, (measured) => rewriteFinding(rewrite, measured, options));
  }

  // 5. several permissive policies for one role and command
  // (their merge is measured for a role's SELECT; writes are not measured, so others are reported unmeasured)
  for (const overlap of findPermissiveOverlaps(policies, options.apiRoles)) {
    const select = overlap.appliesTo.find((a) => a.command === "select");
    const merged = select ? mergedSelectPolicySql(overlap, policies, select.role) : null;
    if (!select || !merged) {
      findings.push(overlapFinding(overlap, null, options)!);
      continue;
    }
    const involved = policies.filter((p) =>
      p.schema === overlap.schema && p.table === overlap.table && overlap.policies.includes(p.name)
    );
    await measureFix({
      rule: "rls.multiple-permissive-policies",
      subject: overlapSubject(overlap),
      policy: involved[0],
      role: select.role,
      ownerColumn: involved.flatMap((p) => identityColumns(p.using ?? ""))[0] ?? null,
      change: merged,
    }, (measured) => overlapFinding(overlap, measured, options));
  }

  // 6. policy columns no index leads on: measure the index, report it when it pays
  const unindexed = findUnindexedPolicyColumns(policies, await readIndexLeads(sql, policies, options));
  rejected.push(...unindexed.rejected);
  for (const column of unindexed.columns) {
    if (Date.now() >= context.deadline) {
      notes.push(`deadline reached: ${columnSubject(column)} and later columns were not measured`);
      break;
    }
    await measureFix({
      rule: "rls.unindexed-policy-column",
      subject: columnSubject(column),
      policy: policies.find((p) => p.schema === column.schema && p.table === column.table)!,
      ownerColumn: column.column,
      change: `create index on ${policyTable(column)} (${quoteIdent(column.column)})`,
    }, (measured) => indexFinding(column, measured, options));
  }
  return { findings, rejected, notes };
}

/** How many of the window's heaviest statements are searched for statements on a policy's table. */
const workloadStatements = 200;

/** The workload of the window, or none with a note when the snapshots cannot be read. */
async function readWorkloadOrNote(
  sql: Sql,
  context: AnalysisContext,
  notes: string[],
): Promise<WorkloadStatement[]> {
  try {
    const workload = await readWorkload(sql, context.window);
    const statements = workload.statements.slice(0, workloadStatements);
    const excluded = workload.excluded;
    notes.push(
      workload.source.note,
      `workload: ${statements.length} statements in the window, ${excluded} of the suite's own left out`,
    );
    return statements;
  } catch (error) {
    notes.push(`workload not read (${(error as Error).message}): only PostgREST's list request is measured`);
    return [];
  }
}

async function readPolicies(sql: Sql, options: RlsAnalyzerOptions): Promise<Policy[]> {
  const { excludedSchemas, schemas } = options;
  return await inRolledBackTransaction(sql, options, async (tx) => {
    // an empty search_path makes pg_get_expr qualify every name outside pg_catalog
    await tx.unsafe(ownStatement("select set_config('search_path', '', true)"));
    const rows = await tx<
      {
        schema: string;
        table: string;
        name: string;
        permissive: boolean;
        command: Policy["command"];
        roles: string[];
        using: string | null;
        with_check: string | null;
      }[]
    >`
      select n.nspname::text as schema, c.relname::text as table, p.polname::text as name,
        p.polpermissive as permissive,
        case p.polcmd when 'r' then 'select' when 'a' then 'insert' when 'w' then 'update'
          when 'd' then 'delete' else 'all' end as command,
        array(
          -- role 0 is PUBLIC: every role
          select case when r.oid = 0 then 'public' else pg_catalog.pg_get_userbyid(r.oid)::text end
          from pg_catalog.unnest(p.polroles) as r(oid) order by 1
        ) as roles,
        pg_catalog.pg_get_expr(p.polqual, p.polrelid) as using,
        pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) as with_check
      from pg_catalog.pg_policy p
      join pg_catalog.pg_class c on c.oid = p.polrelid
      join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where n.nspname::text <> all(${excludedSchemas})
        and (${schemas}::text[] is null or n.nspname::text = any(${schemas}::text[]))
        and c.relrowsecurity -- policies of a table without row level security are not applied
      order by 1, 2, 3`;
    return rows.map((row) => ({
      schema: row.schema,
      table: row.table,
      name: row.name,
      permissive: row.permissive,
      command: row.command,
      roles: row.roles,
      using: row.using,
      withCheck: row.with_check,
    }));
  });
}

async function readFunctionCatalog(
  sql: Sql,
  policies: Policy[],
  options: RlsAnalyzerOptions,
): Promise<FunctionCatalog> {
  const keys = [
    ...new Set(
      policies.flatMap((p) => [p.using, p.withCheck]).filter((e): e is string => e !== null)
        .flatMap((e) => findCalls(e)).map((call) => `${call.schema}.${call.function}`),
    ),
  ];
  if (keys.length === 0) return new Map();
  const rows = await inRolledBackTransaction(
    sql,
    options,
    (tx) =>
      tx<{ key: string; volatility: string; returns_set: boolean }[]>`
      select n.nspname || '.' || p.proname as key,
        max(p.provolatile) as volatility, -- 'i' < 's' < 'v': the most volatile overload
        bool_or(p.proretset) as returns_set
      from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
      where n.nspname || '.' || p.proname = any(${keys})
      group by 1`,
  );
  const volatility = { i: "immutable", s: "stable", v: "volatile" } as const;
  return new Map(rows.map((row): [string, FunctionTraits] => [row.key, {
    volatility: volatility[row.volatility as keyof typeof volatility],
    returnsSet: row.returns_set,
  }]));
}

async function readIndexLeads(
  sql: Sql,
  policies: Policy[],
  options: RlsAnalyzerOptions,
): Promise<IndexLead[]> {
  const schemas = [...new Set(policies.map((p) => p.schema))];
  return await inRolledBackTransaction(sql, options, (tx) =>
    tx<IndexLead[]>`
      select n.nspname::text as schema, c.relname::text as table, i.relname::text as name,
        a.attname::text as "leadingColumn", x.indpred is not null as partial, x.indisvalid as valid
      from pg_catalog.pg_index x
      join pg_catalog.pg_class c on c.oid = x.indrelid
      join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      join pg_catalog.pg_class i on i.oid = x.indexrelid
      -- indkey[0] = 0: the index leads with an expression, not a column
      left join pg_catalog.pg_attribute a on a.attrelid = x.indrelid and a.attnum = x.indkey[0]
      where n.nspname::text = any(${schemas})`);
}

/** The role a policy is measured as: `authenticated` where it applies, else its first role. */
function measureRole(policy: Policy): string {
  return policy.roles.includes("authenticated") || policy.roles.includes("public")
    ? "authenticated"
    : policy.roles[0];
}

/**
 * A real user for the claims, and how it was chosen: the most common value of the policy's identity column
 * (the user with the most rows, so the statements read a real user's share of the table), else the first
 * user of auth.users, else a random id (a user who owns nothing).
 */
async function chooseUser(
  tx: Tx,
  policy: Policy,
  column: string | null,
): Promise<{ id: string; how: string }> {
  if (column) {
    const value = await representativeValue(tx, policy, column);
    if (value !== null) {
      return { id: value, how: `the most common ${column} of ${policy.schema}.${policy.table}` };
    }
  }
  const [{ has_users }] = await tx`select to_regclass('auth.users') is not null as has_users`;
  if (has_users) {
    const [first] = await tx<{ id: string }[]>`select id::text from auth.users order by created_at limit 1`;
    if (first) return { id: first.id, how: "the first user of auth.users" };
  }
  return { id: crypto.randomUUID(), how: "a random id: no user was found" };
}

/** The claims Supabase Auth puts in that user's session JWT, from auth.users where it has the user. */
async function claimsOf(tx: Tx, userId: string, role: string): Promise<Record<string, unknown>> {
  const claims: Record<string, unknown> = { sub: userId, role, aud: "authenticated" };
  const [{ has_users }] = await tx`select to_regclass('auth.users') is not null as has_users`;
  if (!has_users) return claims;
  const [user] = await tx<{ email: string | null; app: unknown; meta: unknown }[]>`
    select email, raw_app_meta_data as app, raw_user_meta_data as meta from auth.users where id::text = ${userId}`;
  if (user) Object.assign(claims, { email: user.email, app_metadata: user.app, user_metadata: user.meta });
  return claims;
}

/** Records a rejection once: a table's statements come up again for each fix measured on it. */
function noteOnce(rejected: Rejection[], rejection: Rejection): void {
  if (!rejected.some((r) => r.subject === rejection.subject && r.reason === rejection.reason)) {
    rejected.push(rejection);
  }
}

/** Characters of a statement's text in its label. */
const labelChars = 60;

/** A statement measured under a policy: what it is, and its calls in the window (workload statements). */
type Representative = BoundStatement & { label: string; calls: number | null };

/** PostgREST's list request, and the workload's SELECTs on the policy's table with parameters drawn. */
async function representativeStatements(
  tx: Tx,
  options: RlsAnalyzerOptions,
  policy: Policy,
  owner: { column: string | null; id: string },
  workload: WorkloadStatement[],
  rejected: Rejection[],
): Promise<Representative[]> {
  const statements: Representative[] = [{
    label: `PostgREST's list of ${policy.schema}.${policy.table}`,
    text: `select * from ${policyTable(policy)} limit ${options.listRows}`,
    params: [],
    calls: null,
  }];
  const values = new Map<string, string | null>();
  for (const statement of workload) {
    if (statements.length > options.workloadStatementsPerTable) break;
    const read = readSelectShape(statement.query);
    if (!("shape" in read) || read.shape.table !== policy.table) continue;
    if ((read.shape.schema ?? "public") !== policy.schema) continue;
    const slots = parameterSlots(statement.query);
    for (const slot of slots) {
      if (slot.kind !== "column" || values.has(slot.column)) continue;
      values.set(
        slot.column,
        slot.column === owner.column ? owner.id : await representativeValue(tx, policy, slot.column),
      );
    }
    const bound = bindParameters(slots, (c) => values.get(c) ?? null, options.page);
    if ("reason" in bound) {
      noteOnce(rejected, {
        rule: "rls.statement",
        subject: `query:${statement.queryid}`,
        reason: `not measured under the policies of ${policy.schema}.${policy.table}: ${bound.reason}`,
      });
      continue;
    }
    statements.push({
      label: `query:${statement.queryid} (${abbreviate(statement.query, labelChars)})`,
      text: statement.query,
      params: bound.params,
      calls: statement.calls,
    });
  }
  return statements;
}

/**
 * Times the representative statements of `policy`'s table as the policy's role with a real user's claims,
 * runs `change` as the analyzer's own role, and times them again, all in one rolled-back transaction.
 */
async function measureChange(
  sql: Sql,
  options: RlsAnalyzerOptions,
  { policy, role = measureRole(policy), ownerColumn, change, workload, rejected }: {
    policy: Policy;
    /** The role to measure as; by default the policy's (measureRole). */
    role?: string;
    ownerColumn: string | null;
    change: string;
    workload: WorkloadStatement[];
    rejected: Rejection[];
  },
): Promise<ChangeMeasurement> {
  const from = new Date().toISOString();
  return await inRolledBackTransaction(sql, options, async (tx) => {
    const user = await chooseUser(tx, policy, ownerColumn);
    const statements = await representativeStatements(
      tx,
      options,
      policy,
      { column: ownerColumn, id: user.id },
      workload,
      rejected,
    );
    const claims = JSON.stringify(await claimsOf(tx, user.id, role));
    const asUser = async () => {
      // tagged: they run as the project's role, whose statements are the workload
      await tx.unsafe(ownStatement(`set local role ${quoteIdent(role)}`));
      await tx.unsafe(ownStatement("select set_config('request.jwt.claims', $1, true)"), [claims]);
    };
    await asUser();
    // a workload statement that fails on the drawn values is dropped, in a savepoint, and the rest measured
    const measurable: { statement: Representative; before: Timing }[] = [];
    for (const statement of statements) {
      if (statement.calls === null) {
        measurable.push({ statement, before: await timeStatement(tx, statement, options.runs) });
        continue;
      }
      try {
        const before = await tx.savepoint((sp) => timeStatement(sp, statement, options.runs));
        measurable.push({ statement, before });
      } catch (error) {
        noteOnce(rejected, {
          rule: "rls.statement",
          subject: statement.label,
          reason: `failed under the policies of ${policy.schema}.${policy.table} on the drawn parameters ` +
            `${JSON.stringify(statement.params)}: ${(error as Error).message}`,
        });
      }
    }
    await tx`set local role none`;
    await tx.unsafe(change);
    await asUser();
    const timed: StatementTiming[] = [];
    for (const { statement, before } of measurable) {
      const after = await timeStatement(tx, statement, options.runs);
      timed.push({ label: statement.label, calls: statement.calls, before, after });
    }
    return {
      role,
      user: `${user.id} (${user.how})`,
      statements: timed,
      window: { from, to: new Date().toISOString() },
    };
  });
}

/** The statement that gains most, if it clears both thresholds. */
function bestGain(measured: ChangeMeasurement, options: RlsAnalyzerOptions): StatementTiming | null {
  const gain = (s: StatementTiming) => s.before.medianMs - s.after.medianMs;
  const best = [...measured.statements].sort((a, b) => gain(b) - gain(a))[0];
  if (!best) return null;
  const ok = gain(best) >= options.minGainMs && gain(best) >= options.minGainRatio * best.before.medianMs;
  return ok ? best : null;
}

function belowThreshold(
  rule: string,
  subject: string,
  measured: ChangeMeasurement,
  options: RlsAnalyzerOptions,
): Rejection {
  return {
    rule,
    subject,
    reason:
      `measured gain below minGainMs ${options.minGainMs} ms or minGainRatio ${options.minGainRatio}: ` +
      describeTimings(measured),
  };
}

/** Each statement's medians before → after, and what the workload's calls in the window would have saved. */
function describeTimings(measured: ChangeMeasurement): string {
  const each = measured.statements.map((s) =>
    `${s.label}: ${formatMs(s.before.medianMs)} → ${formatMs(s.after.medianMs)}` +
    (s.calls === null ? "" : ` (${s.calls} call${s.calls === 1 ? "" : "s"} in the window)`)
  ).join("; ");
  const workload = measured.statements.filter((s) => s.calls !== null);
  if (workload.length === 0) return each;
  const saved = workload.reduce((sum, s) => sum + s.calls! * (s.before.medianMs - s.after.medianMs), 0);
  return `${each}; over the window's calls of these workload statements: ${formatMs(saved)}`;
}

function method(measured: ChangeMeasurement, options: RlsAnalyzerOptions, change: string): string {
  return `EXPLAIN (ANALYZE) execution time as role ${measured.role} with the claims of user ${measured.user}, ` +
    `median of ${options.runs} runs each after one warm-up run, before and after ${change} in one ` +
    `transaction that was rolled back`;
}

function rewriteFinding(
  rewrite: PolicyRewrite,
  measured: ChangeMeasurement,
  options: RlsAnalyzerOptions,
): Finding | null {
  const best = bestGain(measured, options);
  if (!best) return null;
  const { policy } = rewrite;
  const gain = best.before.medianMs - best.after.medianMs;
  const ratio = gain / best.before.medianMs;
  return createFinding({
    rule: "rls.per-row-call",
    system: "db",
    subject: policySubject(policy),
    severity: ratio >= 0.25 ? "warning" : "info",
    title: `Policy "${policy.name}" on ${policy.schema}.${policy.table} calls ${
      rewrite.wrapped.join(", ")
    } per row: ${formatMs(best.before.medianMs)} → ${formatMs(best.after.medianMs)} once per statement`.slice(
      0,
      200,
    ),
    detail: `The policy calls ${rewrite.wrapped.join(", ")} for every row it checks. Wrapped in ` +
      `\`(select …)\`, each call runs once per statement (an initPlan). Measured: ${
        describeTimings(measured)
      }. ` +
      (rewrite.semanticsPreserving
        ? `The rewrite is safe to apply: ${wrapPreservesSemantics}.`
        : "A wrapped function is VOLATILE: once per statement may differ from once per row, so review it first."),
    evidence: {
      series: ["pg_catalog.pg_policy", "EXPLAIN (ANALYZE)"],
      windows: [measured.window],
      statistic: {
        name: `median execution time of ${best.label} before the rewrite`,
        value: best.before.medianMs,
        unit: "ms",
      },
    },
    gain: measuredGain(gain, "ms per statement", measured.window, method(measured, options, "the rewrite")),
    action: { kind: "sql", sql: rewrite.sql, rollback: rewrite.rollback },
    autoApplicable: rewrite.semanticsPreserving,
  });
}

function indexFinding(
  column: UnindexedPolicyColumn,
  measured: ChangeMeasurement,
  options: RlsAnalyzerOptions,
): Finding | null {
  const best = bestGain(measured, options);
  if (!best) return null;
  const gain = best.before.medianMs - best.after.medianMs;
  const name = `${column.table}_${column.column}_idx`.slice(0, 63);
  return createFinding({
    rule: "rls.unindexed-policy-column",
    system: "db",
    subject: columnSubject(column),
    severity: gain / best.before.medianMs >= 0.25 ? "warning" : "info",
    title: `No index leads on ${column.schema}.${column.table}.${column.column}, which policy ${
      column.policies.map((p) => `"${p}"`).join(", ")
    } compares per request: ${formatMs(best.before.medianMs)} → ${formatMs(best.after.medianMs)} with one`
      .slice(0, 200),
    detail: `Every request under row level security filters ${column.schema}.${column.table} on ` +
      `${column.column}, and no valid, non-partial index leads on it. Measured with the index built inside the ` +
      `measurement: ${describeTimings(measured)}.`,
    evidence: {
      series: ["pg_catalog.pg_policy", "pg_catalog.pg_index", "EXPLAIN (ANALYZE)"],
      windows: [measured.window],
      statistic: {
        name: `median execution time of ${best.label} without the index`,
        value: best.before.medianMs,
        unit: "ms",
      },
    },
    gain: measuredGain(
      gain,
      "ms per statement",
      measured.window,
      method(measured, options, "creating the index"),
    ),
    action: {
      kind: "sql",
      sql: `create index concurrently if not exists ${quoteIdent(name)} on ${policyTable(column)} (${
        quoteIdent(column.column)
      })`,
      rollback: `drop index concurrently if exists ${qualifiedName(column.schema, name)}`,
    },
    // indexes are the index advisor's to weigh against write cost and budget
    autoApplicable: false,
  });
}

function overlapSubject(overlap: PermissiveOverlap): string {
  return `policies:${overlap.schema}.${overlap.table}(${overlap.policies.join(",")})`;
}

/**
 * The overlap as a finding: with the measured gain of merging the policies for a role's SELECT when it
 * clears the thresholds, unmeasured (gain null) when there is no SELECT to measure, and null when the merge
 * was measured and gained too little (the caller records the figures: Postgres already ORs the policies).
 */
function overlapFinding(
  overlap: PermissiveOverlap,
  measured: ChangeMeasurement | null,
  options: RlsAnalyzerOptions,
): Finding | null {
  const best = measured ? bestGain(measured, options) : null;
  if (measured && !best) return null;
  const names = overlap.policies.map((p) => `"${p}"`).join(", ");
  const where = overlap.appliesTo.map((a) => `${a.role} ${a.command}`).join(", ");
  const figures = measured
    ? ` Merged into one policy for ${measured.role} select, measured: ${describeTimings(measured)}.`
    : " Only SELECT is measured, and these overlap for writes alone.";
  return createFinding({
    rule: "rls.multiple-permissive-policies",
    system: "db",
    subject: overlapSubject(overlap),
    severity: "info",
    title:
      `${overlap.policies.length} permissive policies on ${overlap.schema}.${overlap.table} apply to ${where}`
        .slice(0, 200),
    detail:
      `Policies ${names} are all permissive and all apply to ${where}: Postgres evaluates each of them, ` +
      `OR-ed, for every row.${figures}`,
    evidence: {
      series: measured ? ["pg_catalog.pg_policy", "EXPLAIN (ANALYZE)"] : ["pg_catalog.pg_policy"],
      windows: measured ? [measured.window] : [],
      statistic: { name: "permissive policies for one role and command", value: overlap.policies.length },
    },
    gain: best && measured
      ? measuredGain(
        best.before.medianMs - best.after.medianMs,
        "ms per statement",
        measured.window,
        method(measured, options, "merging the policies into one"),
      )
      : null,
    action: {
      kind: "guidance",
      text: `Merge ${names} on ${overlap.schema}.${overlap.table} into one policy per role and command ` +
        `(${where}) whose USING is the OR of theirs, or make one of them restrictive if it was meant to narrow ` +
        `the others.`,
    },
    autoApplicable: false,
  });
}
