import { createHash } from "node:crypto";
import type { Rejection } from "../recommendations/analyzer.ts";
import { constantKey } from "./constants.ts";
import type { AdvisorOptions } from "./options.ts";
import { type Key, keySql, type Predicate, type TableAccess } from "./plan.ts";
import { readableIdent } from "../sql/identifiers.ts";
import { percent } from "../correlate/statistics.ts";

/**
 * Step 3, candidates: the indexes worth evaluating for each statement's access to each table. Beyond one
 * column per query: multicolumn btree (equality keys first, then one range or sort key), indexes in the
 * order of an `order by … limit`, partial indexes for the constant predicates pg_stat_statements keeps
 * (`is null`, `is not null`, a boolean column), covering `include` columns where an index-only scan could
 * follow, trigram GIN for `like`/`ilike` (pg_trgm), and expression keys (`lower(x)`, `x ->> 'k'`). A
 * candidate an existing index already provides is dropped with the index's name.
 */

/** An index on an existing table, as pg_index describes it. */
export interface ExistingIndex {
  schema: string;
  table: string;
  name: string;
  method: string;
  /** Key columns or expressions, as pg_get_indexdef() prints them. */
  keys: string[];
  include: string[];
  /** pg_get_expr(indpred) or null. */
  predicate: string | null;
}

/** Table statistics the candidates step uses. */
export interface TableStats {
  /**
   * Share of rows (0 to 1) a constant predicate keeps, from pg_stats, by its SQL (`deleted_at is null`) or
   * by constantKey() of it (`status = active`).
   */
  selectivity: Record<string, number>;
  /** pg_stats.n_distinct by column, as a count (negative fractions resolved). */
  distinct: Record<string, number>;
}

/** An index to evaluate. */
export interface Candidate {
  /** `index:schema.table(keys) include (…) where …`: the Finding's subject. */
  subject: string;
  schema: string;
  table: string;
  method: "btree" | "gin";
  keys: { sql: string; desc: boolean }[];
  include: string[];
  where: string | null;
  /** Columns the index stores or tests (keys, include, predicate). */
  columns: string[];
  /** Columns of its leading key: a statement that references none of them cannot use a btree. */
  leading: string[];
  /** Statements (queryid) it was proposed for. */
  statements: string[];
  /** What it was made for, e.g. `equality keys, then sort`. */
  kind: string;
}

/** One statement's accesses, as the explain step gave them. */
export interface StatementAccesses {
  queryid: string;
  accesses: TableAccess[];
}

/** The candidates, what was dropped, and the `like` columns that need pg_trgm when it is absent. */
export interface Candidates {
  candidates: Candidate[];
  /**
   * Candidates that only help together, by subject: a filter `a or b` is served by a BitmapOr, which needs
   * an index for every branch, so one index alone saves nothing.
   */
  bundles: string[][];
  rejected: Rejection[];
  needTrigram: { schema: string; table: string; key: string; statements: string[] }[];
}

/** The input of generateCandidates(). */
export interface CandidateInput {
  statements: StatementAccesses[];
  existing: ExistingIndex[];
  /** By `schema.table`. */
  stats: Record<string, TableStats>;
  /** The schema pg_trgm is installed in, or null when it is not. */
  trigramSchema: string | null;
}

function keyColumns(key: Key): string[] {
  return key.kind === "column" ? [key.column] : key.columns;
}

/** Comparable form of an SQL fragment: lowercase, no parentheses, spaces or `::text` casts. */
export function normalizeSql(text: string): string {
  return text.toLowerCase().replace(/::text/g, "").replace(/[()\s]/g, "");
}

/** Pure: the candidate's subject, `index:schema.table(keys) include (…) where …`. */
export function subjectOf(
  c: Omit<Candidate, "subject" | "statements" | "kind" | "columns" | "leading">,
): string {
  const method = c.method === "gin" ? " using gin" : "";
  const keys = c.keys.map((k) => `${k.sql}${k.desc ? " desc" : ""}`).join(", ");
  const include = c.include.length > 0 ? ` include (${c.include.map(readableIdent).join(", ")})` : "";
  const where = c.where ? ` where ${c.where}` : "";
  return `index:${c.schema}.${c.table}${method}(${keys})${include}${where}`;
}

/** Pure: a name for the index, at most 63 characters, stable for the same subject. */
export function indexName(c: Candidate): string {
  const hash = createHash("sha256").update(c.subject).digest("hex").slice(0, 8);
  const words = c.keys.map((k) => k.sql.replace(/[^a-z0-9]+/gi, "_").replace(/^_|_$/g, "")).join("_");
  return `${c.table}_${words}`.slice(0, 63 - 14) + `_adv_${hash}`;
}

/**
 * Pure: the `create index` statement, named `name` (none: Postgres or hypopg names it), with `concurrently`
 * where it is applied for real outside a transaction.
 */
export function indexDdl(c: Candidate, name: string | null, concurrently = false): string {
  const keys = c.keys.map((k) => `${k.sql}${k.desc ? " desc" : ""}`).join(", ");
  const using = c.method === "gin" ? " using gin" : "";
  const include = c.include.length > 0 ? ` include (${c.include.map(readableIdent).join(", ")})` : "";
  const where = c.where ? ` where ${c.where}` : "";
  const how = concurrently ? "concurrently if not exists " : "";
  const named = name === null ? "" : `${how}${readableIdent(name)} `;
  return `create index ${named}on ${readableIdent(c.schema)}.${
    readableIdent(c.table)
  }${using} (${keys})${include}${where}`;
}

// Whether an existing index provides what the candidate would: same method and predicate, the candidate's
// equality keys as the existing index's leading keys in any order, then its other keys in order.
function providedBy(c: Candidate, e: ExistingIndex, equalities: number): boolean {
  if (e.schema !== c.schema || e.table !== c.table || e.method !== c.method) return false;
  if (normalizeSql(e.predicate ?? "") !== normalizeSql(c.where ?? "")) return false;
  const opclass = / (?:\S+\.)?gin_trgm_ops$/;
  const mine = c.keys.map((k) => normalizeSql(k.sql.replace(opclass, "")));
  const theirs = e.keys.map((k) => normalizeSql(k.replace(opclass, "")));
  if (theirs.length < mine.length) return false;
  const lead = new Set(mine.slice(0, equalities));
  if (!theirs.slice(0, equalities).every((k) => lead.has(k))) return false;
  if (!mine.slice(equalities).every((k, i) => theirs[equalities + i] === k)) return false;
  const stored = new Set([...theirs, ...e.include.map(normalizeSql)]);
  return c.include.every((col) => stored.has(normalizeSql(col)));
}

/** Pure: every candidate for the workload's accesses, deduplicated, with the reason for each one dropped. */
export function generateCandidates(input: CandidateInput, options: AdvisorOptions): Candidates {
  const byKey = new Map<string, Candidate>();
  const rejected: Rejection[] = [];
  const needTrigram = new Map<string, Candidates["needTrigram"][number]>();
  const rejectedSubjects = new Set<string>();
  // what the group being read proposed, in order, and whether an existing index already provides it
  let proposals: { subject: string; kind: string; method: string; provided: boolean }[] = [];
  const bundles = new Map<string, string[]>();

  const propose = (
    queryid: string,
    access: TableAccess,
    spec: Pick<Candidate, "method" | "keys" | "include" | "where" | "kind" | "leading"> & {
      equalities: number;
    },
    columns: string[],
  ) => {
    const { equalities, ...fields } = spec;
    const base = { schema: access.schema, table: access.table, ...fields };
    const candidate: Candidate = {
      ...base,
      subject: subjectOf(base),
      columns: [...new Set(columns)],
      statements: [queryid],
    };
    const { subject } = candidate;
    const existing = input.existing.find((e) => providedBy(candidate, e, equalities));
    proposals.push({ subject, kind: spec.kind, method: spec.method, provided: existing !== undefined });
    if (existing) {
      if (!rejectedSubjects.has(subject)) {
        rejectedSubjects.add(subject);
        rejected.push({
          rule: "index.candidate",
          subject,
          reason: `already provided by the existing index ${existing.schema}.${existing.name} (${
            existing.keys.join(", ")
          })${existing.predicate ? ` where ${existing.predicate}` : ""}`,
        });
      }
      return;
    }
    const seen = byKey.get(subject);
    if (!seen) byKey.set(subject, candidate);
    else if (!seen.statements.includes(queryid)) seen.statements.push(queryid);
  };

  for (const { queryid, accesses } of input.statements) {
    for (const access of accesses) {
      // no index can be added to the system catalogs, and a temporary table lives no longer than a session
      if (/^(?:pg_catalog|information_schema|pg_toast|pg_temp.*)$/.test(access.schema)) continue;
      const stats = input.stats[`${access.schema}.${access.table}`];
      const groups = access.groups.length > 0 ? access.groups : [[]];
      const members: (string | null)[] = [];
      for (const group of groups) {
        proposals = [];
        proposeForGroup(queryid, access, group, stats);
        members.push(bundleMember(proposals));
      }
      // an OR's branches: one index each, the branches an existing index serves aside; a branch with no
      // candidate at all leaves the OR to a sequential scan, whatever the others get
      const needed = members.filter((m) => m !== "");
      if (groups.length > 1 && !needed.includes(null) && needed.length > 1) {
        const bundle = [...new Set(needed as string[])];
        if (bundle.length > 1) bundles.set(bundle.join(" + "), bundle);
      }
    }
  }

  // The index of a branch in a bundle: a partial one where the branch has constants (a BitmapOr reads the
  // branch's rows only), else the first proposed; "" when an existing index serves the branch; null when
  // nothing was proposed.
  function bundleMember(list: typeof proposals): string | null {
    if (list.length === 0) return null;
    if (list.some((p) => p.provided && p.method === "btree" && !p.kind.includes("covering"))) return "";
    const open = list.filter((p) => !p.provided);
    const pick = open.find((p) => p.kind.endsWith(", partial")) ?? open.find((p) => p.method === "gin") ??
      open[0];
    return pick?.subject ?? null;
  }

  function proposeForGroup(queryid: string, access: TableAccess, group: Predicate[], stats?: TableStats) {
    const constants = group.filter((p) => ["null", "notnull", "true", "false", "const"].includes(p.op));
    const constantColumns = new Set(constants.flatMap((p) => keyColumns(p.key)));
    const distinctKeys = (ps: Predicate[]) => {
      const seen = new Map<string, Key>();
      for (const p of ps) seen.set(keySql(p.key), p.key);
      return [...seen.values()];
    };
    const distinct = (k: Key) => stats?.distinct[keyColumns(k)[0]] ?? 0;
    // most distinct first: the leading key then narrows most for other statements too
    const equalities = distinctKeys(group.filter((p) => p.op === "eq"))
      .filter((k) => !keyColumns(k).some((c) => constantColumns.has(c)))
      .sort((a, b) => distinct(b) - distinct(a))
      .slice(0, options.maxKeyColumns);
    const ranges = distinctKeys(group.filter((p) => p.op === "range"));
    const sort = access.sort.filter((s) => !equalities.some((e) => keySql(e) === keySql(s.key)));

    type Shape = {
      keys: { sql: string; desc: boolean }[];
      columns: string[];
      leading: string[];
      kind: string;
    };
    const shapes: Shape[] = [];
    const shape = (keys: Key[], kind: string, desc: boolean[] = []): Shape => ({
      keys: keys.map((k, i) => ({ sql: keySql(k), desc: desc[i] ?? false })),
      columns: keys.flatMap(keyColumns),
      leading: keyColumns(keys[0]),
      kind,
    });
    if (equalities.length > 0) shapes.push(shape(equalities, "equality keys"));
    if (ranges.length > 0 && equalities.length < options.maxKeyColumns) {
      shapes.push(shape([...equalities, ranges[0]], "equality keys, then a range"));
    }
    if (sort.length > 0 && equalities.length + sort.length <= options.maxKeyColumns) {
      // a btree scanned backwards serves the reverse order: a single direction is stored ascending
      const mixed = new Set(sort.map((s) => s.desc)).size > 1;
      shapes.push(shape(
        [...equalities, ...sort.map((s) => s.key)],
        access.limited ? "equality keys, then order by … limit" : "equality keys, then sort",
        [...equalities.map(() => false), ...sort.map((s) => mixed && s.desc)],
      ));
    }
    if (shapes.length === 0 && constants.length > 0) {
      shapes.push(shape([constants[0].key], "constant predicate"));
    }

    const predicate = constants.map((p) => p.sql).join(" and ") || null;
    // the share of rows the predicate keeps; null when pg_stats does not tell (hypopg then judges)
    const shares = constants.map((p) => stats?.selectivity[p.sql] ?? stats?.selectivity[constantKey(p.sql)]);
    const selectivity = shares.some((share) => share === undefined)
      ? null
      : shares.reduce((product: number, share) => product * share!, 1);
    const partial = predicate !== null &&
      (selectivity === null || selectivity <= options.maxPartialSelectivity);
    for (const shape of shapes) {
      const spec = {
        method: "btree" as const,
        keys: shape.keys,
        include: [],
        where: null,
        kind: shape.kind,
        leading: shape.leading,
      };
      const equalityCount = shape.kind.startsWith("equality") ? equalities.length : 0;
      const partialColumns = [...shape.columns, ...constantColumns];
      propose(queryid, access, { ...spec, equalities: equalityCount }, shape.columns);
      if (predicate !== null) {
        const subject = subjectOf({ schema: access.schema, table: access.table, ...spec, where: predicate });
        if (!partial) {
          if (!rejectedSubjects.has(subject)) {
            rejectedSubjects.add(subject);
            rejected.push({
              rule: "index.candidate",
              subject,
              reason: `its predicate keeps ${percent(selectivity!, 0)} of the rows (pg_stats), above ` +
                `maxPartialSelectivity ${percent(options.maxPartialSelectivity, 0)}`,
            });
          }
        } else {
          propose(queryid, access, {
            ...spec,
            where: predicate,
            kind: `${shape.kind}, partial`,
            equalities: equalityCount,
          }, partialColumns);
        }
      }
      // covering: the other columns the plan reads, if few, let an index-only scan answer
      const extra = access.output.filter((c) => !shape.columns.includes(c));
      if (extra.length > 0 && extra.length <= options.maxIncludeColumns) {
        propose(queryid, access, {
          ...spec,
          include: extra,
          where: partial ? predicate : null,
          kind: `${shape.kind}, covering`,
          equalities: equalityCount,
        }, [...(partial ? partialColumns : shape.columns), ...extra]);
      }
    }

    for (const like of group.filter((p) => p.op === "like")) {
      const key = keySql(like.key);
      if (input.trigramSchema === null) {
        const id = `${access.schema}.${access.table}.${key}`;
        const need = needTrigram.get(id) ??
          { schema: access.schema, table: access.table, key, statements: [] };
        if (!need.statements.includes(queryid)) need.statements.push(queryid);
        needTrigram.set(id, need);
        continue;
      }
      propose(queryid, access, {
        method: "gin",
        keys: [{ sql: `${key} ${readableIdent(input.trigramSchema)}.gin_trgm_ops`, desc: false }],
        include: [],
        where: null,
        kind: "trigram (like/ilike)",
        leading: keyColumns(like.key),
        equalities: 0,
      }, keyColumns(like.key));
    }
  }

  return {
    candidates: [...byKey.values()],
    bundles: [...bundles.values()],
    rejected,
    needTrigram: [...needTrigram.values()],
  };
}
