import { z } from "zod";

/**
 * Purge of one user's metric events (`DELETE /functions/v1/metrics/users/:userId`): their raw events and the
 * rollup rows of their source 'user:<userId>' in every tier (minute, 5 minutes, hour), in one transaction
 * (optimizer.purge_user_metrics). Server-reported events are never touched.
 */

/** Path of the purge route. */
export interface UserPurgeParams {
  /** The `sub` of the user's JWT, as their events were reported under. */
  userId: string;
}

/** Validates the purge route's path: userId is 1 to 255 characters without control characters. */
export const UserPurgeParamsSchema: z.ZodType<UserPurgeParams> = z.strictObject({
  userId: z.string()
    .min(1, { error: "must be the user's id (the sub of their JWT)" })
    .max(255, { error: "must be at most 255 characters" })
    // deno-lint-ignore no-control-regex -- control characters are what it refuses
    .regex(/^[^\u0000-\u001f\u007f]*$/, { error: "must not contain control characters" }),
});

/** What a purge deleted. */
export interface UserPurgeResult {
  /** The user whose events were deleted. */
  userId: string;
  /** Raw events of the user (still within retention). */
  events: number;
  /** Rows of the user's source in optimizer.metric_rollups. */
  minuteRows: number;
  /** Rows of the user's source in optimizer.metric_rollups_5min. */
  fiveMinuteRows: number;
  /** Rows of the user's source in optimizer.metric_rollups_hourly. */
  hourRows: number;
}
