import { createHash } from "node:crypto";
import { z } from "zod";
import { OptimizationConfigSchema } from "../config/config.ts";

/**
 * The Finding: the one shape of everything the suite reports or does, from status's pipeline checks to every
 * analyzer. It says which rule fired about what (`rule`, `system`, `subject`), how bad it is, what it rests on
 * (`evidence`), what fixing it gains (`gain`: measured or estimated, never a bare number), what to do
 * (`action`) and whether the suite may do that by itself (`autoApplicable`). `fingerprint` names the finding
 * across runs, so a caller can tell a new finding from one it has seen before.
 */

/** The parts of the project a finding can be about; `overall` is the project as a whole, the suite included. */
export const findingSystems = ["db", "cache", "edge", "overall"] as const;
export type FindingSystem = typeof findingSystems[number];

/** From least to most urgent. */
export const severities = ["info", "warning", "critical"] as const;
export type Severity = typeof severities[number];

/** A closed time range, both ends ISO times. */
export const WindowSchema = z.strictObject({
  from: z.iso.datetime({ offset: true }),
  to: z.iso.datetime({ offset: true }),
}).refine((w) => Date.parse(w.from) <= Date.parse(w.to), {
  message: "from must not be later than to",
  path: ["to"],
});
/** A closed time range, `from` and `to` ISO date-times with an offset, `from` not later than `to`. */
export type Window = z.infer<typeof WindowSchema>;

/** What a finding rests on: the series read, over which windows, and the statistic that made the rule fire. */
export const EvidenceSchema = z.strictObject({
  /** Where the figures come from, e.g. `cron.job_run_details(optimizer-rollup)`. */
  series: z.array(z.string().min(1)).min(1),
  windows: z.array(WindowSchema),
  statistic: z.strictObject({
    name: z.string().min(1),
    value: z.union([z.number(), z.string(), z.boolean(), z.null()]),
    unit: z.string().min(1).optional(),
  }),
});
export type Evidence = z.infer<typeof EvidenceSchema>;

/** A gain observed before and after, over a window, by a named method (e.g. a paired comparison). */
export const MeasuredGainSchema = z.strictObject({
  kind: z.literal("measured"),
  value: z.number(),
  unit: z.string().min(1),
  window: WindowSchema,
  method: z.string().min(1),
});

/** A gain not yet observed: the model that predicts it must be named. */
export const EstimatedGainSchema = z.strictObject({
  kind: z.literal("estimated"),
  value: z.number(),
  unit: z.string().min(1),
  model: z.string().min(1),
});

/** A MeasuredGain or an EstimatedGain, told apart by `kind`. */
export const GainSchema = z.discriminatedUnion("kind", [MeasuredGainSchema, EstimatedGainSchema]);
/** A gain observed over `window` by `method`, as `value` in `unit`; build it with measuredGain(). */
export type MeasuredGain = z.infer<typeof MeasuredGainSchema>;
/** A gain predicted by `model`, as `value` in `unit`; build it with estimatedGain(). */
export type EstimatedGain = z.infer<typeof EstimatedGainSchema>;
/** What fixing a finding gains: measured (window, method) or estimated (model), never a bare number. */
export type Gain = z.infer<typeof GainSchema>;

/**
 * A patch of the suite's config: a partial OptimizationConfig (what it leaves out keeps its current value),
 * checked against the config schema so that a finding cannot propose a setting that does not exist.
 */
const ConfigPatchSchema = z.record(z.string(), z.unknown()).superRefine((patch, ctx) => {
  const parsed = OptimizationConfigSchema.safeParse(patch);
  for (const issue of parsed.error?.issues ?? []) {
    ctx.addIssue({ code: "custom", message: issue.message, path: issue.path as PropertyKey[] });
  }
});

/** What to do: SQL with the SQL that undoes it, a patch of the suite's config, or guidance for a person. */
export const ActionSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("sql"), sql: z.string().min(1), rollback: z.string().min(1) }),
  z.strictObject({ kind: z.literal("config"), patch: ConfigPatchSchema }),
  z.strictObject({ kind: z.literal("guidance"), text: z.string().min(1) }),
]);
/**
 * What to do about a finding: `sql` with the `rollback` that undoes it, a config `patch`, or `guidance` text
 * for a person.
 */
export type Action = z.infer<typeof ActionSchema>;

const fingerprintPattern = /^[0-9a-f]{64}$/;

/**
 * Validates a Finding, its fingerprint included: a finding whose fingerprint does not match its rule, system and
 * subject is refused (build findings with createFinding()).
 */
export const FindingSchema = z.strictObject({
  /** The rule that fired, e.g. `pipeline.job-inactive`. */
  rule: z.string().regex(
    /^[a-z0-9]+(?:[.-][a-z0-9]+)*$/,
    "rule must be dotted kebab-case, e.g. pipeline.job-missing",
  ),
  system: z.enum(findingSystems),
  /** What the finding is about, e.g. `cron.job:optimizer-rollup` or `index:public.robots(user_id)`. */
  subject: z.string().min(1),
  severity: z.enum(severities),
  title: z.string().min(1).max(200),
  detail: z.string().min(1),
  evidence: EvidenceSchema,
  /** null where fixing the finding has no figure to gain (a broken job is fixed, not improved). */
  gain: GainSchema.nullable(),
  action: ActionSchema,
  autoApplicable: z.boolean(),
  fingerprint: z.string().regex(fingerprintPattern, "fingerprint must be 64 lowercase hex digits"),
}).superRefine((finding, ctx) => {
  if (finding.fingerprint !== fingerprint(finding)) {
    ctx.addIssue({
      code: "custom",
      message: "fingerprint does not match rule, system and subject: build findings with createFinding()",
      path: ["fingerprint"],
    });
  }
});
/** One thing the suite reports or does; see FindingSchema for the fields and createFinding() to build one. */
export type Finding = z.infer<typeof FindingSchema>;
/** A Finding without its fingerprint, which createFinding() computes. */
export type FindingInput = Omit<Finding, "fingerprint">;

/**
 * A finding's name across runs: SHA-256 (hex) of its rule, system and subject, and of nothing that changes
 * from run to run (figures, times, wording), so the same problem found again has the same fingerprint.
 */
export function fingerprint(finding: Pick<Finding, "rule" | "system" | "subject">): string {
  // JSON of an array keeps the parts apart: ("a.b", "c") and ("a", "b.c") do not collide.
  return createHash("sha256").update(JSON.stringify([finding.rule, finding.system, finding.subject])).digest(
    "hex",
  );
}

/** A validated Finding with its fingerprint. Throws ZodError naming the field when the input is not one. */
export function createFinding(input: FindingInput): Finding {
  return FindingSchema.parse({ ...input, fingerprint: fingerprint(input) });
}

/** A gain seen over `window` by `method`. */
export function measuredGain(value: number, unit: string, window: Window, method: string): MeasuredGain {
  return MeasuredGainSchema.parse({ kind: "measured", value, unit, window, method });
}

/** A gain predicted by `model`, not yet seen. */
export function estimatedGain(value: number, unit: string, model: string): EstimatedGain {
  return EstimatedGainSchema.parse({ kind: "estimated", value, unit, model });
}
