/**
 * The thresholds of the database health rules, in one place with their defaults. Two are not here but in
 * the suite's config, where a developer changes them at run time: `alerts.minCacheHitRate` and
 * `recommendations.unusedIndexMinDays`.
 */
export interface DbHealthOptions {
  /**
   * Schemas never looked at, beyond the system ones (`pg_catalog`, `information_schema`, `pg_toast`,
   * `pg_temp_*`), which are always left out. Supabase's linter looks at `public` only; we look at every
   * schema a project's own migrations may create tables in, and leave out those Supabase or an extension
   * manages (their indexes are not the developer's to change, and a hosted project's platform upgrades
   * would undo or trip over such changes) and the suite's own (`optimizer`).
   */
  excludedSchemas: string[];
  /** A foreign key's missing index is a warning, not info, from this many rows in its table (10 000). */
  foreignKeyWarningRows: number;
  /** Estimated bloat is reported from this many bytes (10 MiB)… */
  minBloatBytes: number;
  /** …and this share of the table's pages (0.3). */
  minBloatRatio: number;
  /** A cache hit ratio is judged only over at least this many block reads, hits and misses (1000). */
  minCacheBlocks: number;
  /** Connections in use, as a share of what clients may open, that make a warning (0.8)… */
  connectionsWarningRatio: number;
  /** …and a critical finding (0.95). */
  connectionsCriticalRatio: number;
  /** A query running this long is reported (300 s). */
  longRunningQuerySeconds: number;
  /** A session idle in a transaction this long is reported (60 s): it holds locks and stops vacuum. */
  idleInTransactionSeconds: number;
  /** Sessions whose application_name starts with this are the suite's own and never reported. */
  ownApplicationPrefix: string;
}

/** Every default of DbHealthOptions. */
export const dbHealthDefaults: Readonly<DbHealthOptions> = Object.freeze({
  excludedSchemas: [
    "optimizer",
    // Supabase-managed
    "auth",
    "storage",
    "realtime",
    "_realtime",
    "_analytics",
    "supabase_functions",
    "supabase_migrations",
    "graphql",
    "graphql_public",
    "pgbouncer",
    "pgsodium",
    "pgsodium_masks",
    "vault",
    // extensions' own
    "extensions",
    "cron",
    "net",
    "pgtle",
    "topology",
    "tiger",
    "tiger_data",
  ],
  foreignKeyWarningRows: 10_000,
  minBloatBytes: 10 * 1024 * 1024,
  minBloatRatio: 0.3,
  minCacheBlocks: 1000,
  connectionsWarningRatio: 0.8,
  connectionsCriticalRatio: 0.95,
  longRunningQuerySeconds: 300,
  idleInTransactionSeconds: 60,
  ownApplicationPrefix: "optimizer-",
});

function atLeast(name: string, value: number, min: number): void {
  if (!(Number.isFinite(value) && value >= min)) {
    throw new RangeError(`${name} must be a number >= ${min}: got ${value}`);
  }
}

function ratio(name: string, value: number): void {
  if (!(Number.isFinite(value) && value > 0 && value <= 1)) {
    throw new RangeError(`${name} must be a ratio in (0, 1]: got ${value}`);
  }
}

/** The options with every omitted one at its default. Throws RangeError naming the option and its value. */
export function resolveDbHealthOptions(options: Partial<DbHealthOptions> = {}): DbHealthOptions {
  const resolved: DbHealthOptions = {
    ...dbHealthDefaults,
    ...options,
    excludedSchemas: [...(options.excludedSchemas ?? dbHealthDefaults.excludedSchemas)],
  };
  atLeast("foreignKeyWarningRows", resolved.foreignKeyWarningRows, 0);
  atLeast("minBloatBytes", resolved.minBloatBytes, 0);
  ratio("minBloatRatio", resolved.minBloatRatio);
  atLeast("minCacheBlocks", resolved.minCacheBlocks, 1);
  ratio("connectionsWarningRatio", resolved.connectionsWarningRatio);
  ratio("connectionsCriticalRatio", resolved.connectionsCriticalRatio);
  if (resolved.connectionsCriticalRatio < resolved.connectionsWarningRatio) {
    throw new RangeError(
      `connectionsCriticalRatio must be >= connectionsWarningRatio (${resolved.connectionsWarningRatio}): got ${resolved.connectionsCriticalRatio}`,
    );
  }
  atLeast("longRunningQuerySeconds", resolved.longRunningQuerySeconds, 0);
  atLeast("idleInTransactionSeconds", resolved.idleInTransactionSeconds, 0);
  if (resolved.excludedSchemas.some((schema) => typeof schema !== "string" || schema === "")) {
    throw new RangeError(
      `excludedSchemas must hold schema names: got ${JSON.stringify(resolved.excludedSchemas)}`,
    );
  }
  return resolved;
}
