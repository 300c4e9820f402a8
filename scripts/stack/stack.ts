/**
 * The whole local stack in one call (what `npm start` runs): packages, Postgres, platform layer,
 * migrations through the CLI, the functions' module graphs, Vault seed, the net worker and the functions
 * gateway; then `.stack/env`.
 */
import postgres from "postgres";
import { writeDotenvFile } from "./env_file.ts";
import { type RunningGateway, startGateway } from "./gateway.ts";
import { loadOrCreateKeys, type StackKeys } from "./keys.ts";
import { pushMigrations } from "./migrations.ts";
import { cacheFunctionGraphs } from "./module_cache.ts";
import { startNetWorker } from "./net_worker.ts";
import { dbUrlFor, resolveStackOptions, type StackOptions } from "./options.ts";
import { ensurePackages } from "./packages.ts";
import { applyPlatform } from "./platform.ts";
import { portFree } from "./ports.ts";
import { ensureCluster, stopCluster } from "./postgres.ts";
import { claimState, releaseState, updateState } from "./stack_state.ts";
import { upsertVaultSecrets, vaultSeed } from "./vault.ts";

/** Connection details, as written to `.stack/env` (a type alias, so it is assignable to Record<string, string>). */
export type StackEnv = {
  SUPABASE_URL: string;
  SUPABASE_DB_URL: string;
  SUPABASE_PUBLISHABLE_KEY: string;
  SUPABASE_SECRET_KEY: string;
  SUPABASE_ANON_KEY: string;
  SUPABASE_SERVICE_ROLE_KEY: string;
  /** ES256 private JWK (JSON) that signs user JWTs, so tests can mint them. */
  STACK_JWT_PRIVATE_JWK: string;
  STACK_PID: string;
};

export interface RunningStack {
  env: StackEnv;
  gateway: RunningGateway;
  /** Folder of the Postgres data dir, socket and log: `.stack`, or one outside the checkout (postgres.ts). */
  clusterDir: string;
  /** What the CLI printed while applying migrations. */
  migrationsOutput: string;
  /** Stops the gateway and its workers, the net worker and Postgres (pg_ctl -m fast). */
  stop(): Promise<void>;
}

export function envFilePath(stackDir: string): string {
  return `${stackDir}/env`;
}

export function stackEnvFor(url: string, dbUrl: string, keys: StackKeys, pid: number): StackEnv {
  return {
    SUPABASE_URL: url,
    SUPABASE_DB_URL: dbUrl,
    SUPABASE_PUBLISHABLE_KEY: keys.publishableKey,
    SUPABASE_SECRET_KEY: keys.secretKey,
    SUPABASE_ANON_KEY: keys.anonKey,
    SUPABASE_SERVICE_ROLE_KEY: keys.serviceRoleKey,
    STACK_JWT_PRIVATE_JWK: JSON.stringify(keys.jwtPrivateJwk),
    STACK_PID: String(pid),
  };
}

function assertPortFree(port: number, what: string): void {
  if (!portFree(port)) {
    throw new Error(`port ${port} (${what}) is in use by another program: stop it and start again`);
  }
}

export async function startStack(partial: Partial<StackOptions> = {}): Promise<RunningStack> {
  const options = resolveStackOptions(partial);
  const { stackDir, repoDir, log } = options;
  const dbUrl = dbUrlFor(options.pgPort);
  await claimState(stackDir);
  const cleanups: Array<() => Promise<void>> = [() => releaseState(stackDir)];
  const stop = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      await cleanup().catch((error) =>
        log(`[stack] while stopping: ${error instanceof Error ? error.message : error}`)
      );
    }
  };
  try {
    assertPortFree(options.gatewayPort, "functions gateway");
    // The reference app's functions (bench/) are served by gateways the tests and benchmarks start, which
    // cache them again (a no-op then). Cached here too, while Postgres starts, so that once the stack says
    // ready no function of this repository downloads anything. The gateway below caches the product's.
    const referenceAppCached = cacheFunctionGraphs({
      configPaths: [`${repoDir}/bench/reference_app/config.toml`],
      log,
    });
    // Awaited before the gateway starts; a failure of an earlier step must not leave it unhandled.
    referenceAppCached.catch(() => {});
    await ensurePackages(options.installPackages, log);
    cleanups.push(() => stopCluster(stackDir));
    const { clusterDir } = await ensureCluster({ stackDir, port: options.pgPort, log });
    const keys = await loadOrCreateKeys(stackDir);

    const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
    cleanups.push(() => sql.end({ timeout: 2 }));
    await applyPlatform(sql, `${repoDir}/supabase/local`);
    let migrationsOutput: string;
    try {
      migrationsOutput = await pushMigrations(repoDir, dbUrl);
    } catch (error) {
      throw new Error(`migrations failed: ${error instanceof Error ? error.message : error}`);
    }

    await referenceAppCached;
    const gateway = await startGateway({
      port: options.gatewayPort,
      configPath: `${repoDir}/supabase/config.toml`,
      functionsEnvPath: `${repoDir}/supabase/functions/.env`,
      stackDir,
      dbUrl,
      workerIdleTimeoutS: options.workerIdleTimeoutS,
      workerMaxLifetimeS: options.workerMaxLifetimeS,
      workerBootTimeoutS: options.workerBootTimeoutS,
      log,
    });
    cleanups.push(() => gateway.stop());
    await upsertVaultSecrets(sql, vaultSeed(gateway.url, keys.secretKey));
    const netWorker = await startNetWorker(dbUrl, log);
    cleanups.push(() => netWorker.stop());

    const env = stackEnvFor(gateway.url, dbUrl, keys, Deno.pid);
    const envPath = envFilePath(stackDir);
    await writeDotenvFile(envPath, { ...env });
    cleanups.push(() => Deno.remove(envPath).catch(() => {}));
    await updateState(stackDir, gateway.url);
    return { env, gateway, clusterDir, migrationsOutput, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
