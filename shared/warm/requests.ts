import { z } from "zod";

/** The requests of the warmer function, validated before anything reaches the store. */

/** `POST /warmer/run`: what started it (the pg_cron job says `cron`). */
export const WarmerRunQuerySchema: z.ZodType<{ trigger: "cron" | "api" }> = z.strictObject({
  trigger: z.enum(["cron", "api"]).default("api"),
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
