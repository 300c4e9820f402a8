/**
 * Applied findings for the checks' integration tests: a check store that sees only a test's own applied
 * findings (the stack's database holds other tests' too), and a finding stored, applied through the real
 * config half an hour ago, and undone and deleted afterwards.
 */
import assert from "node:assert/strict";
import {
  applyFinding,
  type CheckStore,
  type ConfigAccess,
  createRecommendationStore,
  createSql,
  createStatusStore,
  type Finding,
  type RecommendationStore,
  rollbackFinding,
  type Sql,
} from "../../shared/mod.ts";
import { stackEnv } from "./env.ts";
import { storeFinding } from "./metric_store_db.ts";

/** `store` with every kind of applied action limited to the findings `ours()` names. */
export function onlyFindings(store: CheckStore, ours: () => Promise<ReadonlySet<string>>): CheckStore {
  const mine = async <T extends { findingId: string }>(all: Promise<T[]>): Promise<T[]> => {
    const ids = await ours();
    return (await all).filter((a) => ids.has(a.findingId));
  };
  return {
    ...store,
    appliedBuilds: () => mine(store.appliedBuilds()),
    appliedWarmBudgets: () => mine(store.appliedWarmBudgets()),
    appliedCacheBudgets: () => mine(store.appliedCacheBudgets()),
  };
}

/** What withAppliedFinding() gives its body. */
export interface AppliedContext {
  /** A connection of the test's own. */
  sql: Sql;
  /** The stored finding. */
  id: string;
  /** The real config the finding's patch was written to. */
  config: ConfigAccess;
  /** The real findings store. */
  findings: RecommendationStore;
}

/**
 * Runs `body` with `finding` stored under an analyzer of its own and applied through the real config, its
 * apply dated half an hour ago; afterwards it is rolled back if still applied, and deleted.
 */
export async function withAppliedFinding(
  name: string,
  finding: Finding,
  body: (context: AppliedContext) => Promise<void>,
): Promise<void> {
  const sql = createSql({ functionName: name, url: stackEnv().dbUrl });
  const analyzer = `${name}-${crypto.randomUUID()}`;
  const config = createStatusStore(sql);
  const findings = createRecommendationStore(sql);
  const id = await storeFinding(sql, analyzer, finding);
  try {
    assert.equal((await applyFinding(findings, config, id, "test")).status, 200);
    await sql`update optimizer.findings set applied_at = now() - interval '30 minutes' where id = ${id}`;
    await body({ sql, id, config, findings });
  } finally {
    const [{ status }] = await sql`select status from optimizer.findings where id = ${id}`;
    if (status === "applied") await rollbackFinding(findings, config, id, "test");
    await sql`delete from optimizer.findings where analyzer = ${analyzer}`;
    await sql.end();
  }
}
