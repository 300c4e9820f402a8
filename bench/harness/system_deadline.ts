/**
 * A full optimize-system run on the reference workload with a slow database: the function's app, with its
 * deployed wiring, run in the harness's process so that its connections to Postgres go through the latency
 * proxy (the stack's gateway connects its functions to Postgres directly). Every round trip, connecting
 * included, waits `delayMs`; the run is asked for `maxDurationMs` and `targetGainPercent` at priority
 * performance, and whatever it applied is rolled back afterwards through the same app, at full speed.
 */
import { createAuthenticator, type SystemRunResult } from "../../shared/mod.ts";
import {
  createOptimizeSystemApp,
  liveOptimizeSystemDeps,
} from "../../supabase/functions/optimize-system/index.ts";
import { startLatencyProxy, throughProxy } from "./latency_proxy.ts";

/** What the check asks for. */
export interface SystemDeadlineOptions {
  /** The delay of every chunk sent to Postgres, in ms. */
  delayMs: number;
  maxDurationMs: number;
  targetGainPercent: number;
}

/** What the run did, and whether it kept its deadline. */
export interface SystemDeadlineCheck extends SystemDeadlineOptions {
  /** From the request to the answer, as the caller saw it. */
  roundTripMs: number;
  /** The run's own account of its duration. */
  executionTimeMs: number;
  /** roundTripMs against maxDurationMs. */
  ratio: number;
  applied: number;
  /** The planned actions it did not apply, by why (`deadline`, `target`, `failed`). */
  skipped: Record<string, number>;
  stoppedEarly: string | null;
  target: SystemRunResult["target"];
  estimatedGainPercent: number;
}

/** Runs the check against the stack whose env is given (SUPABASE_DB_URL, SUPABASE_SECRET_KEY). */
export async function checkSystemDeadline(
  env: Record<string, string>,
  options: SystemDeadlineOptions,
): Promise<SystemDeadlineCheck> {
  const db = new URL(env.SUPABASE_DB_URL);
  const proxy = startLatencyProxy({
    target: { hostname: db.hostname, port: Number(db.port || 5432) },
    delayMs: () => options.delayMs,
  });
  const authenticator = createAuthenticator({
    env: { secretKeys: { default: env.SUPABASE_SECRET_KEY }, publishableKeys: {} },
  });
  const slow = liveOptimizeSystemDeps(throughProxy(env.SUPABASE_DB_URL, proxy));
  const direct = liveOptimizeSystemDeps(env.SUPABASE_DB_URL);
  const call = async (deps: typeof slow, path: string, body?: unknown) => {
    const response = await createOptimizeSystemApp({ ...deps, reporter: null, authenticator }).fetch(
      new Request(`http://harness/optimize-system${path}`, {
        method: "POST",
        headers: { apikey: env.SUPABASE_SECRET_KEY, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    );
    const answer = await response.json();
    if (!response.ok) {
      throw new Error(`POST /optimize-system${path} answered ${response.status}: ${JSON.stringify(answer)}`);
    }
    return answer;
  };
  try {
    const { delayMs: _, ...request } = options;
    const started = performance.now();
    const run = await call(slow, "", { priority: "performance", ...request }) as SystemRunResult;
    const roundTripMs = Math.round(performance.now() - started);
    if (run.runId !== null) await call(direct, `/${run.runId}/rollback`);
    const skipped: Record<string, number> = {};
    for (const s of run.skipped) skipped[s.kind] = (skipped[s.kind] ?? 0) + 1;
    return {
      ...options,
      roundTripMs,
      executionTimeMs: run.executionTime,
      ratio: Math.round((roundTripMs / options.maxDurationMs) * 1000) / 1000,
      applied: run.appliedOptimizations.length,
      skipped,
      stoppedEarly: run.stoppedEarly,
      target: run.target,
      estimatedGainPercent: run.estimatedPerformanceGain.value,
    };
  } finally {
    await Promise.all([slow.close(), direct.close()]);
    await proxy.stop();
  }
}
