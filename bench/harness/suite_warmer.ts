/**
 * The suite's warmer as a feature of a scenario, used as a developer would use it: the app's functions
 * registered as warm targets (`PUT /warmer/targets/:name`), the module switched on with a budget and a
 * priority (`PUT /status/config`), and pg_cron's `optimizer-warmer` job left to ask for `POST /warmer/run`
 * every minute through net.http_post, at the Vault's `project_url`. The scenario's gateway serves the app's
 * functions beside the suite's, as one hosted project does, and `project_url` names that gateway while the
 * scenario runs, so the warmer's pings reach the workers the replay's requests reach.
 *
 * In a replay at compression 1 (bench/warm_replay.ts) the warmer plans in the platform's minutes. In the 60x
 * replay of `npm run bench` a trace minute lasts a second, so the scenarios run on the suite's clock sped up as
 * much (onReplayClock()): the warmer plans, times its pings and reads the metric store on the replay's time.
 */
import postgres from "postgres";
import { stringify } from "smol-toml";
import { fileURLToPath } from "node:url";
import { loadFunctionsConfig } from "../../scripts/stack/functions_config.ts";
import { upsertVaultSecrets } from "../../scripts/stack/vault.ts";
import { MINUTE_MS } from "../../shared/time.ts";
import type { Sql } from "../../shared/db/client.ts";
import type { FeatureActivity, SuiteFeature } from "./scenario.ts";
import { suiteApi } from "./suite_api.ts";

/** What the warmer did in one run, from optimizer.warm_pings. */
export interface WarmerActivity {
  /** Pings to the app's functions planned in the measured window (after the lead-in). */
  planned: number;
  /** Of those, sent (an answer or a failure recorded). */
  sent: number;
  /** Sent pings that found a worker just booted: the pings that made a worker. */
  foundCold: number;
  /** Sent pings without a 2xx answer. */
  failed: number;
  /** Planned pings by kind (successor, refresh, pre-warm, probe). */
  byKind: Record<string, number>;
  /** Warmer runs pg_cron asked for in the measured window, and those that failed. */
  runs: number;
  failedRuns: number;
  /** Pings those runs would have planned but left out for the hour's budget (limits.warmPingsPerHour). */
  overBudget: number;
  /** Pings those runs left for the likelier pings of the hour ahead that the budget is paced for. */
  paced: number;
}

export interface WarmerFeature extends SuiteFeature {
  /** One entry per run of the scenario, in order. */
  activity: WarmerActivity[];
}

export interface WarmerFeatureOptions {
  /** The app's functions to register as warm targets. */
  appFunctions: readonly string[];
  /** `optimization.priority` while the scenario runs. */
  priority: "performance" | "cost" | "reliability";
  /** `limits.warmPingsPerHour` while the scenario runs. */
  pingsPerHour: number;
  /** A config.toml serving the app's and the suite's functions (projectFunctionsConfig()). */
  functionsConfigPath: string;
}

const suiteConfigPath = fileURLToPath(new URL("../../supabase/config.toml", import.meta.url));
const appConfigPath = fileURLToPath(new URL("../reference_app/config.toml", import.meta.url));

/**
 * Writes a config.toml, in a temporary folder, that lists the suite's functions and the reference app's with
 * absolute paths: what one project deploys. Returns its path, and `remove()` for the folder.
 */
export async function projectFunctionsConfig(): Promise<{ path: string; remove: () => Promise<void> }> {
  const functions: Record<string, Record<string, string | boolean>> = {};
  for (const path of [suiteConfigPath, appConfigPath]) {
    for (const [name, settings] of await loadFunctionsConfig(path)) {
      if (functions[name]) {
        throw new Error(`function ${name} is in both ${suiteConfigPath} and ${appConfigPath}`);
      }
      functions[name] = {
        enabled: settings.enabled,
        verify_jwt: settings.verifyJwt,
        entrypoint: settings.entrypoint,
        ...(settings.importMap === null ? {} : { import_map: settings.importMap }),
      };
    }
  }
  // The gateway runs workers from the folder above the config's own, as it does from a project's supabase/.
  const dir = await Deno.makeTempDir({ prefix: "bench-project-" });
  await Deno.mkdir(`${dir}/supabase`);
  const path = `${dir}/supabase/config.toml`;
  await Deno.writeTextFile(path, stringify({ functions }));
  return { path, remove: () => Deno.remove(dir, { recursive: true }) };
}

/** The warmer feature against the stack whose env is given (SUPABASE_URL, SUPABASE_SECRET_KEY). */
export function warmerFeature(env: Record<string, string>, options: WarmerFeatureOptions): WarmerFeature {
  const activity: WarmerActivity[] = [];
  let savedConfig: Record<string, unknown> | null = null;
  let savedTargets: { functionName: string; enabled: boolean }[] = [];
  const request = suiteApi(env);
  const putTarget = (name: string, enabled: boolean) =>
    request("PUT", `/warmer/targets/${encodeURIComponent(name)}`, { enabled });

  return {
    name:
      `the suite's warmer (pg_cron → POST /warmer/run every minute of the suite's clock; priority ${options.priority}, ` +
      `at most ${options.pingsPerHour} pings an hour, the app's ${options.appFunctions.length} functions its targets)`,
    activity,
    functionsConfigPath: options.functionsConfigPath,

    async prepare() {
      const { config } = await request("GET", "/status/config") as { config: Record<string, unknown> };
      savedConfig = config;
      const section = (key: string) => (config[key] ?? {}) as Record<string, unknown>;
      await request("PUT", "/status/config", {
        ...config,
        modules: { ...section("modules"), warmer: true },
        limits: { ...section("limits"), warmPingsPerHour: options.pingsPerHour },
        optimization: { ...section("optimization"), priority: options.priority },
      });
      const { targets } = await request("GET", "/warmer/targets") as { targets: typeof savedTargets };
      savedTargets = targets;
      // The budget goes to the app: the suite's own functions, registered by its migration, are left out.
      for (const target of targets) {
        if (!options.appFunctions.includes(target.functionName)) await putTarget(target.functionName, false);
      }
      for (const name of options.appFunctions) await putTarget(name, true);
    },

    async during({ world, gatewayUrl, measuredFrom }, signal): Promise<FeatureActivity> {
      await upsertVaultSecrets(world.sql, { project_url: gatewayUrl });
      try {
        await new Promise<void>((resolve) => {
          if (signal.aborted) resolve();
          else signal.addEventListener("abort", () => resolve(), { once: true });
        });
      } finally {
        await upsertVaultSecrets(world.sql, { project_url: env.SUPABASE_URL });
      }
      const until = new Date();
      const byKind = await world.sql<
        { kind: string; planned: number; sent: number; foundCold: number; failed: number }[]
      >`
        select p.kind,
               count(*)::int as planned,
               count(p.sent_at)::int as sent,
               count(*) filter (where p.cold_start)::int as "foundCold",
               count(*) filter (where p.sent_at is not null and coalesce(p.status not between 200 and 299, true))::int
                 as failed
        from optimizer.warm_pings p
        where p.function_name = any(${options.appFunctions as string[]})
          -- the pings' instants are on the suite's clock, the window's on the wall clock
          and p.planned_at >= optimizer.clock_at(${measuredFrom}) and p.planned_at < optimizer.clock_at(${until})
        group by p.kind`;
      const total = (field: "planned" | "sent" | "foundCold" | "failed") =>
        byKind.reduce((sum, row) => sum + row[field], 0);
      const pings = {
        planned: total("planned"),
        sent: total("sent"),
        foundCold: total("foundCold"),
        failed: total("failed"),
        byKind: Object.fromEntries(byKind.map((row) => [row.kind, row.planned])),
      };
      const [runs] = await world.sql<
        { runs: number; failedRuns: number; overBudget: number; paced: number }[]
      >`
        select count(*)::int as runs, count(*) filter (where r.status = 'failed')::int as "failedRuns",
               coalesce(sum(k.over_budget), 0)::int as "overBudget", coalesce(sum(k.paced), 0)::int as paced
        from optimizer.runs r
        -- each run's skipped pings, read once
        cross join lateral (
          select count(*) filter (where x ->> 'reason' like 'over limits.warmPingsPerHour%') as over_budget,
                 count(*) filter (where x ->> 'reason' like 'paced to limits.warmPingsPerHour%') as paced
          from jsonb_array_elements(r.summary -> 'skipped') x
        ) k
        where r.module = 'warmer' and r.started_at >= optimizer.clock_at(${measuredFrom})
          and r.started_at < optimizer.clock_at(${until})`;
      activity.push({ ...pings, ...runs });
      return { warmPings: pings.sent };
    },

    async restore() {
      if (savedConfig) await request("PUT", "/status/config", savedConfig);
      for (const target of savedTargets) await putTarget(target.functionName, target.enabled);
      // There is no unregistering: targets this feature registered are switched off again.
      for (const name of options.appFunctions) {
        if (!savedTargets.some((t) => t.functionName === name)) await putTarget(name, false);
      }
    },
  };
}

/** The warmer's own record of each run with it (optimizer.runs, optimizer.warm_pings), as a Markdown table. */
export function warmerActivityMarkdown(activity: readonly WarmerActivity[]): string[] {
  return [
    "| run | warmer runs | pings planned | sent | found a cold worker | failed | left out for the budget | left for likelier ones (paced) | planned by kind |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ...activity.map((a, i) =>
      `| ${
        i + 1
      } | ${a.runs} (${a.failedRuns} failed) | ${a.planned} | ${a.sent} | ${a.foundCold} | ${a.failed} | ${a.overBudget} | ${a.paced} | ${
        Object.entries(a.byKind).map(([k, n]) => `${k} ${n}`).join(", ")
      } |`
    ),
  ];
}

/** The pg_cron jobs the warmer's view of the app depends on: the rollup it reads, its runs and their handoff. */
const warmerJobs = ["optimizer-rollup", "optimizer-warmer", "optimizer-warmer-handoff"];

/**
 * Runs `body` with the suite's clock sped up `rate` times (optimizer.set_clock_rate()) and the warmer's pg_cron
 * jobs run every minute of that clock, then puts the clock back to wall-clock time, deleting what it stamped
 * ahead of it (optimizer.reset_clock()). At rate 1 it only runs `body`. Ctrl-C (SIGINT) or SIGTERM meanwhile
 * puts the clock back too, then ends the process: left sped up, it would keep the project's metric store and
 * warmer hours ahead of wall-clock time.
 *
 * pg_cron 1.5 and later (hosted Supabase's) can schedule a job every few seconds; the local stack's 1.4
 * (Debian 12's) schedules in minutes. So the harness runs each job's own command (cron.job.command) every
 * `60 / rate` seconds itself, one call at a time per job as pg_cron does, beside the jobs' own schedules.
 */
export async function onReplayClock<T>(dbUrl: string, rate: number, body: () => Promise<T>): Promise<T> {
  if (rate === 1) return await body();
  // a connection per job, as pg_cron gives each: the handoff's command waits in pg_sleep for up to a minute
  const sql = postgres(dbUrl, { prepare: false, max: warmerJobs.length, onnotice: () => {} });
  try {
    return await onSpedUpClock(sql, dbUrl, rate, body);
  } finally {
    await sql.end();
  }
}

/** Exit codes of a process ended by a signal, as shells report them (128 + the signal's number). */
const interruptions = { SIGINT: 130, SIGTERM: 143 } as const;

/**
 * A signal ends the process without running `finally` blocks, so the clock is put back here, on a connection
 * of its own: the jobs' connections may be waiting in the handoff's pg_sleep.
 */
function resetClockOnInterrupt(dbUrl: string, stopJobs: () => void): () => void {
  const listeners = Object.entries(interruptions).map(([name, code]) => {
    const signal = name as keyof typeof interruptions;
    const listener = async () => {
      stopJobs();
      const own = postgres(dbUrl, { prepare: false, max: 1, connect_timeout: 5, onnotice: () => {} });
      try {
        await own`select optimizer.reset_clock()`;
        console.error(`${signal}: the suite's clock is back on wall-clock time`);
      } catch (error) {
        console.error(
          `${signal}: the suite's clock could not be put back (${(error as Error).message}); ` +
            "run `select optimizer.reset_clock()` once the database is up",
        );
      } finally {
        await own.end({ timeout: 1 });
        Deno.exit(code);
      }
    };
    Deno.addSignalListener(signal, listener);
    return () => Deno.removeSignalListener(signal, listener);
  });
  return () => listeners.forEach((remove) => remove());
}

async function onSpedUpClock<T>(sql: Sql, dbUrl: string, rate: number, body: () => Promise<T>): Promise<T> {
  const jobs = await sql<{ jobname: string; command: string }[]>`
    select j.jobname, j.command from cron.job j where j.jobname = any(${warmerJobs})`;
  if (jobs.length !== warmerJobs.length) {
    throw new Error(
      `pg_cron jobs ${warmerJobs.join(", ")} are not all scheduled: push the suite's migrations`,
    );
  }
  const everyMs = MINUTE_MS / rate;
  const stop = new AbortController();
  const failures = new Map<string, { count: number; last: string }>();
  const tick = async (job: { jobname: string; command: string }) => {
    while (!stop.signal.aborted) {
      const started = performance.now();
      await sql.unsafe(job.command).catch((error) => {
        const seen = failures.get(job.jobname) ?? { count: 0, last: "" };
        failures.set(job.jobname, { count: seen.count + 1, last: String(error?.message ?? error) });
      });
      await new Promise((resolve) =>
        setTimeout(resolve, Math.max(0, everyMs - (performance.now() - started)))
      );
    }
  };
  const stopListening = resetClockOnInterrupt(dbUrl, () => stop.abort());
  await sql`select optimizer.set_clock_rate(${rate})`;
  const ticking = jobs.map(tick);
  try {
    return await body();
  } finally {
    stopListening();
    stop.abort();
    await Promise.all(ticking);
    await sql`select optimizer.reset_clock()`;
    for (const [job, { count, last }] of failures) {
      console.error(`${job}: ${count} of its runs on the replay's clock failed, the last with: ${last}`);
    }
  }
}
