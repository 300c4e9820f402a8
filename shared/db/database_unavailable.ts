/** postgres.js codes for a connection that could not be made or was lost. */
const connectionErrorCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECTION_WAIT_TIMEOUT", // db.ts: no pool connection became free within acquireTimeoutMs
]);

/**
 * Whether an error means the database could not serve the request for now (unreachable, restarting, out of
 * connections, statement timeout) rather than that the request was wrong: callers should retry later.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  if (typeof code !== "string") return false;
  return connectionErrorCodes.has(code) ||
    code.startsWith("08") || // connection exception
    code === "53300" || // too_many_connections
    code === "57014" || // query_canceled: statement_timeout
    code === "57P01" || code === "57P02" || code === "57P03"; // shutdown, crash, cannot_connect_now
}

/** How long a caller is told to wait before retrying after a 503. */
export const databaseRetryAfterSeconds = 5;
