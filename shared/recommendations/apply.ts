import type { OptimizationConfig } from "../config/config.ts";
import type { StoredConfig } from "../status/status_store.ts";
import { patchConfig, planApply } from "./apply_plan.ts";
import type { RecommendationStore, StoredFinding } from "./recommendation_store.ts";

/**
 * Applying a stored finding's action and rolling it back, audited: every apply, failed apply and rollback
 * is an event of the finding with who did it, when, and (for an apply) the rollback. What may be applied is
 * decided by planApply() (apply_plan.ts). Outcomes name an HTTP-like status for the function to answer with.
 */

/** Reads and writes the stored config (the status store does). */
export interface ConfigAccess {
  /** The stored config. */
  readConfig(): Promise<StoredConfig>;
  /** Replaces it, recording who did. */
  writeConfig(config: OptimizationConfig, updatedBy: string): Promise<StoredConfig>;
}

/** What applying or rolling back did, and the status to answer with. */
export interface ActionOutcome {
  /** 200 done (or already done), 404 no such finding, 409 conflicts with its state, 422 cannot be applied. */
  status: 200 | 404 | 409 | 422;
  /** The answer's body: the finding after the change, or the error. */
  body: Record<string, unknown>;
}

/** Applies finding `id`'s action as `actor` (see the top of this file). */
export async function applyFinding(
  store: RecommendationStore,
  config: ConfigAccess,
  id: string,
  actor: string,
): Promise<ActionOutcome> {
  const stored = await store.get(id);
  if (!stored) return notFound(id);
  if (stored.status === "applied") {
    return { status: 200, body: { alreadyApplied: true, finding: stored } };
  }
  if (stored.status === "resolved") {
    return {
      status: 409,
      body: { error: `finding ${id} is resolved: its evidence is gone, so there is nothing to apply` },
    };
  }
  const plan = planApply(stored.finding.action);
  if (plan.kind === "refused") return { status: 422, body: { error: plan.reason } };

  if (plan.kind === "config") {
    const patched = await writePatchedConfig(config, plan.patch, actor);
    if ("issues" in patched) {
      return {
        status: 422,
        body: { error: `the config patch does not fit the config schema: ${patched.issues.join("; ")}` },
      };
    }
    return await applied(store, stored, actor, { kind: "config", patch: patched.rollback }, {
      patch: plan.patch,
    });
  }

  const done = plan.kind === "index" ? await store.buildIndex(plan) : await store.dropIndex(plan);
  if (!done.ok) {
    const detail = { statement: plan.statement, reason: done.reason, leftover: done.leftover };
    await store.recordEvent(id, "apply_failed", actor, detail);
    return {
      status: ddlFailureStatus(done.code),
      body: {
        error: `the index ${plan.kind === "index" ? "build" : "drop"} failed: ${done.reason}`,
        ...detail,
      },
    };
  }
  return await applied(store, stored, actor, { kind: "sql", sql: done.rollbackSql }, {
    statement: plan.statement,
  });
}

/**
 * A failed index build or drop: lock_timeout (55P03), statement_timeout (57014), a name already taken
 * (42P07) and an index gone since it was reported (42704) are conflicts with the database's state, to retry
 * later or elsewhere (409); the rest (duplicate keys for a unique index, a column that does not exist, an
 * index that enforces something) are about the statement itself (422).
 */
function ddlFailureStatus(code: string | null): 409 | 422 {
  return ["55P03", "57014", "42P07", "42704"].includes(code ?? "") ? 409 : 422;
}

async function applied(
  store: RecommendationStore,
  stored: StoredFinding,
  actor: string,
  rollback: NonNullable<StoredFinding["applied"]>["rollback"],
  detail: Record<string, unknown>,
): Promise<ActionOutcome> {
  const first = await store.markApplied(stored.id, actor, rollback, detail);
  return { status: 200, body: { alreadyApplied: !first, finding: await store.get(stored.id) } };
}

/** Runs the rollback stored when finding `id` was applied, and marks it open again. */
export async function rollbackFinding(
  store: RecommendationStore,
  config: ConfigAccess,
  id: string,
  actor: string,
): Promise<ActionOutcome> {
  const stored = await store.get(id);
  if (!stored) return notFound(id);
  if (!stored.applied) {
    return {
      status: 409,
      body: { error: `finding ${id} is ${stored.status}, not applied: nothing to roll back` },
    };
  }
  const { rollback } = stored.applied;
  const rebuild = rollback.kind === "sql"
    ? planApply({ kind: "sql", sql: rollback.sql, rollback: "" })
    : null;
  if (rebuild?.kind === "index") {
    // the rollback of a drop builds the index again, with the same care as any build
    const built = await store.buildIndex(rebuild);
    if (!built.ok) {
      const detail = { statement: rebuild.statement, reason: built.reason, leftover: built.leftover };
      await store.recordEvent(id, "rollback_failed", actor, detail);
      return {
        status: ddlFailureStatus(built.code),
        body: { error: `the rollback's index build failed: ${built.reason}`, ...detail },
      };
    }
  } else if (rollback.kind === "sql") {
    await store.runRollbackSql(rollback.sql);
  } else {
    const patched = await writePatchedConfig(config, rollback.patch, actor);
    if ("issues" in patched) {
      return {
        status: 422,
        body: { error: `the stored rollback no longer fits: ${patched.issues.join("; ")}` },
      };
    }
  }
  await store.markRolledBack(id, actor, { rollback });
  return { status: 200, body: { rolledBack: rollback, finding: await store.get(id) } };
}

/**
 * Lays `patch` over the stored config and writes the result as `actor`: the patch that undoes it, or the
 * issues that make it invalid (then nothing is written).
 */
async function writePatchedConfig(
  config: ConfigAccess,
  patch: Record<string, unknown>,
  actor: string,
): Promise<{ rollback: Record<string, unknown> } | { issues: string[] }> {
  const current = await config.readConfig();
  const patched = patchConfig(current.config, patch);
  if ("issues" in patched) return patched;
  await config.writeConfig(patched.config, actor);
  return { rollback: patched.rollback };
}

function notFound(id: string): ActionOutcome {
  return { status: 404, body: { error: `no finding ${id}: list findings with GET /recommendations` } };
}
