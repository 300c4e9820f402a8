import type { Rejection } from "../recommendations/analyzer.ts";
import type { Candidate } from "./candidates.ts";
import type { AdvisorOptions } from "./options.ts";
import { percent } from "../correlate/statistics.ts";

/**
 * Step 5, selection across the whole workload: greedily add the candidate (or the bundle of candidates that
 * only help together, as the branches of an OR) with the largest net gain
 * (weighted saving minus write penalty), the smallest one among those within equivalentGainRatio of it,
 * evaluating each remaining candidate again with what was already
 * chosen (an index chosen first changes what the next one saves), then drop any chosen index whose own
 * contribution fell to nothing once later ones were chosen.
 *
 * The saving model: a statement's time over the window shrinks in the ratio of its generic-plan costs
 * after and before (hypopg): saving = total_exec_time × (1 − after / before). The write penalty model: each
 * inserted row and each non-HOT update writes one entry into every index, and costs more in a larger index:
 * penalty = entries × (writeMsPerEntry + writeMsPerEntryMb × index size in MB). Deletes write no index entry
 * (vacuum removes them later) and are left out.
 */

/** A workload statement with its cost before any new index. */
export interface CostedStatement {
  queryid: string;
  calls: number;
  totalMs: number;
  /** Generic-plan cost with today's indexes. */
  before: number;
  /** The tables it reads, `schema.table`. */
  tables: string[];
  /** The columns its predicates and sort keys reference, `schema.table.column`. */
  references: string[];
}

/** A table's writes over the window and what its indexes are today. */
export interface TableWrites {
  inserts: number;
  updates: number;
  hotUpdates: number;
  /** Columns the workload's UPDATE statements set. */
  updatedColumns: string[];
  /** Indexes the table has today. */
  indexes: number;
}

/** What an evaluation of a set of hypothetical indexes gives. */
export interface Evaluation {
  /** Generic-plan cost by queryid. */
  costs: Map<string, number>;
  /** Estimated size in bytes by candidate subject. */
  sizes: Map<string, number>;
  /** Why a candidate could not be evaluated, by subject. */
  failures?: Map<string, string>;
}

/** Plans `statements` with exactly `indexes` added (the adapter: hypopg, see hypopg.ts). */
export type Evaluate = (indexes: Candidate[], statements: string[]) => Promise<Evaluation>;

/** One statement a chosen index speeds up. */
export interface StatementSaving {
  queryid: string;
  calls: number;
  before: number;
  after: number;
  /** In ms over the window. */
  savingMs: number;
}

/** A chosen index with its figures (with every other chosen index present). */
export interface ChosenIndex {
  candidate: Candidate;
  sizeBytes: number;
  savingMs: number;
  penaltyMs: number;
  /** Index entries written over the window (inserts and non-HOT updates). */
  entries: number;
  statements: StatementSaving[];
}

/** The input of selectIndexes(). */
export interface SelectionInput {
  statements: CostedStatement[];
  candidates: Candidate[];
  /** Candidates (by subject) that only help together; each bundle is weighed as one choice. */
  bundles?: string[][];
  /** By `schema.table`. */
  writes: Record<string, TableWrites>;
  limits: { maxIndexesPerTable: number; maxTotalIndexSizeMb: number };
  evaluate: Evaluate;
  /** Epoch ms: selection stops choosing when it is reached. */
  deadline: number;
  now?: () => number;
}

/** What the selection chose and dropped. */
export interface Selection {
  chosen: ChosenIndex[];
  rejected: Rejection[];
  /** Set when the deadline cut the selection short. */
  stoppedEarly: boolean;
}

const MB = 1024 * 1024;
const rule = "index.select";

function tableOf(c: Candidate): string {
  return `${c.schema}.${c.table}`;
}

/**
 * Whether the planner could use the index for the statement at all: a btree only when the statement
 * references a column of its leading key, a GIN (trigram) only for the statements it was made for. Planning
 * a statement without the indexes it cannot use gives the same cost, and spares trial builds (hypopg.ts).
 */
function canServe(c: Candidate, s: CostedStatement): boolean {
  if (!s.tables.includes(tableOf(c))) return false;
  if (c.method !== "btree") return c.statements.includes(s.queryid);
  return c.leading.some((col) => s.references.includes(`${tableOf(c)}.${col}`));
}

function ms(value: number): string {
  return `${value.toFixed(value < 10 ? 2 : 0)} ms`;
}

/** Pure: whether the index would end HOT updates on a table that has them, with the reason. */
export function endsHotUpdates(
  c: Candidate,
  writes: TableWrites | undefined,
  options: AdvisorOptions,
): string | null {
  if (!writes || writes.updates < options.minUpdatesForHot) return null;
  const hotRatio = writes.hotUpdates / writes.updates;
  if (hotRatio < options.minHotUpdateRatio) return null;
  const changed = c.columns.filter((col) => writes.updatedColumns.includes(col));
  if (changed.length === 0) return null;
  return `its columns (${changed.join(", ")}) are set by the workload's updates, and ${
    percent(hotRatio, 0)
  } of the table's ${writes.updates} updates were HOT: the index would end that`;
}

/** Greedy selection with re-evaluation and a removal pass (see the top of this file). */
export async function selectIndexes(input: SelectionInput, options: AdvisorOptions): Promise<Selection> {
  const now = input.now ?? Date.now;
  const rejected: Rejection[] = [];
  const byTable = new Map<string, CostedStatement[]>();
  for (const s of input.statements) {
    for (const table of s.tables) byTable.set(table, [...(byTable.get(table) ?? []), s]);
  }
  const statementsOf = (table: string) => byTable.get(table) ?? [];
  // the tables whose indexes can change the plans of `table`'s statements: it and the tables joined to it
  const near = new Map<string, Set<string>>();
  const nearOf = (table: string) => {
    if (!near.has(table)) near.set(table, new Set(statementsOf(table).flatMap((s) => s.tables)));
    return near.get(table)!;
  };
  const sizes = new Map<string, number>();
  const failures = new Map<string, string>();
  const cache = new Map<string, number>();

  // the generic-plan cost of each statement of `table` with `set` in place, cached by set
  async function costs(set: Candidate[], table: string): Promise<Map<string, number>> {
    const statements = statementsOf(table);
    const result = new Map<string, number>();
    const missing: string[] = [];
    const keyOf = (s: CostedStatement) => {
      const relevant = set.filter((c) => canServe(c, s)).map((c) => c.subject).sort();
      return `${s.queryid}|${relevant.join("|")}`;
    };
    for (const s of statements) {
      const hit = cache.get(keyOf(s));
      if (hit === undefined) missing.push(s.queryid);
      else result.set(s.queryid, hit);
    }
    // statements that can use the same indexes are planned together
    const groups = new Map<string, CostedStatement[]>();
    for (const s of statements.filter((s) => missing.includes(s.queryid))) {
      const key = keyOf(s).split("|").slice(1).join("|");
      groups.set(key, [...(groups.get(key) ?? []), s]);
    }
    for (const group of groups.values()) {
      const relevant = set.filter((c) => canServe(c, group[0]));
      const evaluation = await input.evaluate(relevant, group.map((s) => s.queryid));
      for (const [subject, bytes] of evaluation.sizes) sizes.set(subject, bytes);
      for (const [subject, reason] of evaluation.failures ?? []) failures.set(subject, reason);
      for (const s of group) {
        const cost = evaluation.costs.get(s.queryid);
        if (cost === undefined) continue;
        cache.set(keyOf(s), cost);
        result.set(s.queryid, cost);
      }
    }
    return result;
  }

  function savings(table: string, after: Map<string, number>): StatementSaving[] {
    return statementsOf(table).map((s) => {
      const cost = Math.min(after.get(s.queryid) ?? s.before, s.before);
      const savingMs = s.before > 0 ? s.totalMs * (1 - cost / s.before) : 0;
      return { queryid: s.queryid, calls: s.calls, before: s.before, after: cost, savingMs };
    });
  }

  function entriesOf(c: Candidate): number {
    const w = input.writes[tableOf(c)];
    return w ? w.inserts + (w.updates - w.hotUpdates) : 0;
  }

  function penaltyOf(c: Candidate): number {
    const sizeMb = (sizes.get(c.subject) ?? 0) / MB;
    return entriesOf(c) * (options.writeMsPerEntry + options.writeMsPerEntryMb * sizeMb);
  }

  // what adding `members` to `chosen` saves over `chosen` alone, per statement
  async function marginal(members: Candidate[], all: Candidate[]) {
    const table = tableOf(members[0]);
    const chosen = all.filter((c) => nearOf(table).has(tableOf(c)));
    const without = savings(table, await costs(chosen, table));
    const withIt = savings(table, await costs([...chosen, ...members], table));
    const perStatement = withIt.map((s, i) => ({ ...s, savingMs: s.savingMs - without[i].savingMs }))
      .filter((s) => s.savingMs > 0);
    const savingMs = perStatement.reduce((sum, s) => sum + s.savingMs, 0);
    const served = statementsOf(table).filter((s) => perStatement.some((p) => p.queryid === s.queryid));
    const servedMs = served.reduce((sum, s) => sum + s.totalMs, 0);
    const penaltyMs = members.reduce((sum, c) => sum + penaltyOf(c), 0);
    return { savingMs, ratio: servedMs > 0 ? savingMs / servedMs : 0, perStatement, penaltyMs };
  }

  // a unit is chosen whole: one index, or a bundle of indexes that only help together (an OR's branches)
  const allowed: Candidate[] = [];
  for (const c of input.candidates) {
    const hot = endsHotUpdates(c, input.writes[tableOf(c)], options);
    if (hot) rejected.push({ rule, subject: c.subject, reason: hot });
    else allowed.push(c);
  }
  let remaining = allowed.map((c) => ({ subject: c.subject, members: [c] }));
  for (const bundle of input.bundles ?? []) {
    const members = bundle.map((subject) => allowed.find((c) => c.subject === subject));
    if (members.every((m) => m !== undefined)) {
      remaining.push({ subject: bundle.join(" + "), members: members as Candidate[] });
    }
  }

  const chosen: Candidate[] = [];
  let totalBytes = 0;
  let stoppedEarly = false;
  while (remaining.length > 0) {
    if (now() >= input.deadline) {
      stoppedEarly = true;
      for (const u of remaining) {
        rejected.push({ rule, subject: u.subject, reason: "not evaluated: the analysis ran out of time" });
      }
      break;
    }
    const after = chosen.length > 0 ? ` once ${chosen.map((c) => c.subject).join(", ")} is chosen` : "";
    const scored: { unit: { subject: string; members: Candidate[] }; members: Candidate[]; net: number }[] =
      [];
    for (const unit of remaining) {
      const members = unit.members.filter((c) => !chosen.includes(c));
      if (members.length === 0) continue; // a bundle whose indexes were all chosen one by one
      const m = await marginal(members, chosen);
      const failure = members.map((c) => failures.get(c.subject)).find((r) => r !== undefined);
      let reason: string | null = failure ?? null;
      if (reason === null && m.savingMs <= 0) {
        reason = chosen.length === 0
          ? "the planner makes no statement of the workload cheaper with it"
          : `it makes no statement cheaper${after}`;
      } else if (reason === null && m.ratio < options.minSavingsRatio) {
        reason = `saving ${percent(m.ratio)} of the time of the statements it serves${after} is ` +
          `below minSavingsRatio ${percent(options.minSavingsRatio, 0)}`;
      } else if (reason === null && m.savingMs <= m.penaltyMs) {
        reason = `its saving of ${ms(m.savingMs)}${after} is smaller than its write penalty of ${
          ms(m.penaltyMs)
        } (${entriesOf(members[0])} index entries written over the window)`;
      }
      if (reason) rejected.push({ rule, subject: unit.subject, reason });
      else scored.push({ unit, members, net: m.savingMs - m.penaltyMs });
    }
    scored.sort((a, b) => b.net - a.net);
    if (scored.length === 0) break;
    // gains the estimate cannot tell apart are equal: the smallest index of them wins
    const bytesOf = (members: Candidate[]) =>
      members.reduce((sum, c) => sum + (sizes.get(c.subject) ?? 0), 0);
    const best = scored.filter((s) => s.net >= scored[0].net * (1 - options.equivalentGainRatio))
      .reduce((small, s) => bytesOf(s.members) < bytesOf(small.members) ? s : small);
    remaining = scored.filter((s) => s !== best).map((s) => s.unit);
    const table = tableOf(best.members[0]);
    const onTable = chosen.filter((c) => tableOf(c) === table).length + (input.writes[table]?.indexes ?? 0);
    const bytes = bytesOf(best.members);
    if (onTable + best.members.length > input.limits.maxIndexesPerTable) {
      rejected.push({
        rule,
        subject: best.unit.subject,
        reason:
          `${table} would have more than limits.maxIndexesPerTable ${input.limits.maxIndexesPerTable} indexes`,
      });
    } else if ((totalBytes + bytes) / MB > input.limits.maxTotalIndexSizeMb) {
      rejected.push({
        rule,
        subject: best.unit.subject,
        reason: `its ${(bytes / MB).toFixed(1)} MB would take the suggested indexes over ` +
          `limits.maxTotalIndexSizeMb ${input.limits.maxTotalIndexSizeMb}`,
      });
    } else {
      chosen.push(...best.members);
      totalBytes += bytes;
    }
  }

  // removal pass: an index chosen early may add nothing once later ones are there
  for (const c of [...chosen]) {
    const others = chosen.filter((o) => o !== c);
    const m = await marginal([c], others);
    if (m.savingMs <= m.penaltyMs || m.ratio < options.minSavingsRatio) {
      chosen.splice(chosen.indexOf(c), 1);
      rejected.push({
        rule,
        subject: c.subject,
        reason: `dominated: with ${others.map((o) => o.subject).join(", ")} it saves ${ms(m.savingMs)} ` +
          `against a write penalty of ${ms(m.penaltyMs)}`,
      });
    }
  }

  const result: ChosenIndex[] = [];
  for (const c of chosen) {
    const m = await marginal([c], chosen.filter((o) => o !== c));
    result.push({
      candidate: c,
      sizeBytes: sizes.get(c.subject) ?? 0,
      savingMs: m.savingMs,
      penaltyMs: m.penaltyMs,
      entries: entriesOf(c),
      statements: m.perStatement,
    });
  }
  return { chosen: result, rejected, stoppedEarly };
}
