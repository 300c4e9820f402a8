import type postgres from "postgres";
import type { Sql } from "./client.ts";

/**
 * Work that must leave the database as it found it (a measurement, a trial index build): it runs in a
 * transaction, or a savepoint, that is rolled back whatever happens, and only its result comes out. postgres.js
 * rolls back when the body throws, so the result is thrown out of it and caught here.
 */

/** A transaction (or savepoint) of such work. */
export type Tx = postgres.TransactionSql;

/** Thrown inside the transaction to roll it back, carrying the body's result out. */
class RolledBack<T> extends Error {
  constructor(readonly value: T) {
    super("rolled back on purpose");
  }
}

/** What `open` computed inside the transaction or savepoint it opened and rolled back by `rollBackWith`. */
async function resultOfRolledBack<T>(
  open: (rollBackWith: (value: T) => never) => Promise<unknown>,
): Promise<T> {
  try {
    await open((value) => {
      throw new RolledBack(value);
    });
  } catch (error) {
    if (error instanceof RolledBack) return error.value as T;
    throw error;
  }
  throw new Error("unreachable: the rolled-back transaction committed");
}

/**
 * Runs `body` in a transaction that is rolled back whatever happens, with lock_timeout and statement_timeout
 * set for it alone, and returns what `body` returned. Work that needs a lock someone else holds fails within
 * lockTimeoutMs instead of queueing every other session behind it.
 */
export function inRolledBackTransaction<T>(
  sql: Sql,
  limits: { lockTimeoutMs: number; statementTimeoutMs: number },
  body: (tx: Tx) => Promise<T>,
): Promise<T> {
  return resultOfRolledBack<T>((rollBackWith) =>
    sql.begin(async (tx) => {
      await tx`select set_config('lock_timeout', ${`${limits.lockTimeoutMs}ms`}, true),
        set_config('statement_timeout', ${`${limits.statementTimeoutMs}ms`}, true)`;
      rollBackWith(await body(tx));
    })
  );
}

/**
 * Runs `body` in a savepoint of `tx` that is rolled back whatever happens, and returns what `body` returned:
 * the transaction goes on as it was before. An error of `body` is thrown, its work rolled back too.
 */
export function inRolledBackSavepoint<T>(tx: Tx, body: (savepoint: Tx) => Promise<T>): Promise<T> {
  return resultOfRolledBack<T>((rollBackWith) => tx.savepoint(async (sp) => rollBackWith(await body(sp))));
}
