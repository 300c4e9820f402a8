import { z } from "zod";
import { findingSystems, severities } from "../finding/finding.ts";
import { storableText } from "../db/pg_input.ts";
import { findingStatuses } from "./merge.ts";
import type { FindingFilter } from "./recommendation_store.ts";

/** The requests of the recommendations function, validated before anything reaches the store. */

/** `GET /recommendations`: filters (absent: all) and how many at most. */
export const FindingListQuerySchema: z.ZodType<FindingFilter> = z.strictObject({
  system: z.enum(findingSystems).optional(),
  severity: z.enum(severities).optional(),
  status: z.enum(findingStatuses).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

/** The `:id` of a finding route: optimizer.findings' bigint id. */
export const FindingIdParamsSchema: z.ZodType<{ id: string }> = z.strictObject({
  id: z.string().regex(/^[1-9][0-9]{0,17}$/, "must be a finding id: a whole number from 1, e.g. 42"),
});

/** `POST /recommendations/refresh`: what started it, and the history to analyze. */
export interface RefreshQuery {
  /** What started it (the pg_cron job says `cron`). */
  trigger: "cron" | "api";
  /**
   * Analyze the history from this instant to now instead of the last day (analysisWindowMs), e.g. the
   * traffic since a deploy or since a load test started. Must be earlier than now.
   */
  since?: string;
}

/** `POST /recommendations/refresh`: validated query (the handler checks that `since` is in the past). */
export const RefreshQuerySchema: z.ZodType<RefreshQuery> = z.strictObject({
  trigger: z.enum(["cron", "api"]).default("api"),
  since: z.iso.datetime({ offset: true, message: "must be an ISO 8601 instant, e.g. 2026-11-28T09:00:00Z" })
    .optional(),
});

/** `POST /recommendations/:id/dismiss`: why. */
export const DismissBodySchema: z.ZodType<{ reason: string }> = z.strictObject({
  reason: z.string().trim().min(1, "must say why the finding is dismissed").max(1000).check(storableText),
});
