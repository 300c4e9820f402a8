import type postgres from "postgres";
import type { Sql } from "../db/client.ts";

/**
 * Where breakers keep the state that all isolates share: one record per breaker name. The Postgres adapter
 * (createBreakerStore) keeps it in optimizer.breaker_states (supabase/migrations/20261130000000).
 */
export interface BreakerStore {
  /** The shared record of `name`, or null when no isolate wrote one yet. */
  read(name: string): Promise<StoredBreakerState | null>;
  /**
   * Stores `state` as the next version if the stored version is still `expectedVersion` (0: none stored yet),
   * with the earliest instant a half-open probe may be claimed (null: the circuit is closed). The new version,
   * or null when another isolate wrote first.
   */
  write(
    name: string,
    state: unknown,
    expectedVersion: number,
    nextProbeAtMs: number | null,
  ): Promise<number | null>;
  /**
   * Claims the single half-open probe of `name` for `holdMs` if its time has come at `nowMs` (no other isolate
   * holds it, and the circuit's half-open time has passed). True when claimed, and when no record exists
   * (nobody else knows of the outage).
   */
  claimProbe(name: string, nowMs: number, holdMs: number): Promise<boolean>;
}

/** One breaker's shared record. */
export interface StoredBreakerState {
  /** What cockatiel's CircuitBreakerPolicy.toJSON() returned. */
  state: unknown;
  /** Grows by one with every write. */
  version: number;
}

/** The Postgres adapter of BreakerStore, on a client of the project's database. */
export function createBreakerStore(sql: Sql): BreakerStore {
  return {
    async read(name) {
      const [row] = await sql<{ state: unknown; version: string }[]>`
        select state, version from optimizer.breaker_states where name = ${name}`;
      return row ? { state: row.state, version: Number(row.version) } : null;
    },

    async write(name, state, expectedVersion, nextProbeAtMs) {
      const nextProbeAt = nextProbeAtMs === null ? null : new Date(nextProbeAtMs);
      const [row] = await sql<{ version: string }[]>`
        insert into optimizer.breaker_states as b (name, state, next_probe_at)
        values (${name}, ${sql.json(state as postgres.JSONValue)}, ${nextProbeAt})
        on conflict (name) do update
          set state = excluded.state, version = b.version + 1, next_probe_at = excluded.next_probe_at,
            updated_at = pg_catalog.now()
          -- compare-and-set: a writer whose copy is stale loses, and rereads
          where b.version = ${expectedVersion}
        returning version`;
      return row ? Number(row.version) : null;
    },

    async claimProbe(name, nowMs, holdMs) {
      const [row] = await sql<{ claimed: boolean }[]>`
        with claimed as (
          update optimizer.breaker_states
          set next_probe_at = ${new Date(nowMs + holdMs)}
          where name = ${name} and (next_probe_at is null or next_probe_at <= ${new Date(nowMs)})
          returning 1
        )
        select exists (select from claimed)
          or not exists (select from optimizer.breaker_states where name = ${name}) as claimed`;
      return row.claimed;
    },
  };
}
