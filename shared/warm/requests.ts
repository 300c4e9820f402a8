import { z } from "zod";
import { storableText } from "../db/pg_input.ts";
import type { RunTrigger } from "../db/run_log.ts";

/** The requests of the warmer function, validated before anything reaches the store. */

/**
 * `POST /warmer/run`: what started it (pg_cron's schedule says `cron`, its handoff job `handoff`: see
 * optimizer.request_warmer_handoff()).
 */
export const WarmerRunQuerySchema: z.ZodType<{ trigger: RunTrigger }> = z.strictObject({
  trigger: z.enum(["cron", "api", "handoff"]).default("api"),
});

/** `PUT /warmer/targets/:name`: the function's slug, as the gateway routes it. */
export const WarmTargetParamsSchema: z.ZodType<{ name: string }> = z.strictObject({
  name: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,62}$/, {
    error: "must be a function name: a letter, then up to 62 letters, digits, _ or -",
  }),
});

/** `PUT /warmer/targets/:name` body: whether the warmer may ping it. */
export const WarmTargetBodySchema: z.ZodType<{ enabled: boolean }> = z.strictObject({
  enabled: z.boolean().default(true),
});

/** `PUT /warmer/loaders/:namespace`: a cache namespace, as createSharedCache() names it. */
export const CacheLoaderParamsSchema: z.ZodType<{ namespace: string }> = z.strictObject({
  namespace: z.string().min(1).max(200).check(storableText),
});

/** The loader of `PUT /warmer/loaders/:namespace`: a named query or an app endpoint, and whether to use it. */
export type CacheLoaderBody = ({ function: string } | { endpoint: string }) & { enabled: boolean };

/** `PUT /warmer/loaders/:namespace` body: exactly one of `function` and `endpoint`, and `enabled`. */
export const CacheLoaderBodySchema: z.ZodType<CacheLoaderBody> = z.strictObject({
  function: z.string().regex(/^[A-Za-z_][A-Za-z0-9_$]{0,62}\.[A-Za-z_][A-Za-z0-9_$]{0,62}$/, {
    error:
      "must be a function's schema-qualified name, schema.name (unquoted identifiers), e.g. public.load_candles",
  }).optional(),
  endpoint: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,62}(\/[A-Za-z0-9_~-][A-Za-z0-9._~-]{0,99}){0,8}$/, {
    error: "must be a path under /functions/v1/, a function's name first, e.g. market-data/cache-load",
  }).optional(),
  enabled: z.boolean().default(true),
}).refine((body) => (body.function === undefined) !== (body.endpoint === undefined), {
  error: "give either function (a named query) or endpoint (an app endpoint), not both, not neither",
}).transform((body): CacheLoaderBody =>
  body.function !== undefined
    ? { function: body.function, enabled: body.enabled }
    : { endpoint: body.endpoint!, enabled: body.enabled }
);
