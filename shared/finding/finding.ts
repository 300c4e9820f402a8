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
/** One of findingSystems. */
export type FindingSystem = typeof findingSystems[number];

/** From least to most urgent. */
export const severities = ["info", "warning", "critical"] as const;
/** One of severities. */
export type Severity = typeof severities[number];

/*
 * The types below are written out so that their documentation shows every field; each schema `satisfies` its
 * type, so a schema whose output stops fitting the type does not compile.
 */

/** A closed time range, both ends ISO date-times with an offset, `from` not later than `to`. */
export interface Window {
  /** Start of the range, e.g. `2025-01-31T12:00:00Z`. */
  from: string;
  /** End of the range, not earlier than `from`. */
  to: string;
}

/** A closed time range, both ends ISO times. */
export const WindowSchema = z.strictObject({
  from: z.iso.datetime({ offset: true }),
  to: z.iso.datetime({ offset: true }),
}).refine((w) => Date.parse(w.from) <= Date.parse(w.to), {
  message: "from must not be later than to",
  path: ["to"],
}) satisfies z.ZodType<Window>;

/** The figures a finding rests on: the series read, over which windows, and the statistic that fired. */
export interface Evidence {
  /** Where the figures come from, e.g. `cron.job_run_details(optimizer-rollup)`; at least one. */
  series: string[];
  /** The windows the series were read over; empty when the finding rests on no time range. */
  windows: Window[];
  /** The statistic that made the rule fire, e.g. `{ name: "events pending rollup", value: 42 }`. */
  statistic: { name: string; value: number | string | boolean | null; unit?: string };
}

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
}) satisfies z.ZodType<Evidence>;

/** A gain observed before and after, over a window, by a named method; build it with measuredGain(). */
export interface MeasuredGain {
  /** Tells a measured gain from an estimated one. */
  kind: "measured";
  /** How much was gained, in `unit`. */
  value: number;
  /** The unit of `value`, e.g. `ms` or `queries/s`. */
  unit: string;
  /** When the gain was observed. */
  window: Window;
  /** How it was measured, e.g. a paired comparison. */
  method: string;
}

/** A gain not yet observed: the model that predicts it must be named; build it with estimatedGain(). */
export interface EstimatedGain {
  /** Tells an estimated gain from a measured one. */
  kind: "estimated";
  /** How much the model predicts, in `unit`. */
  value: number;
  /** The unit of `value`, e.g. `ms` or `queries/s`. */
  unit: string;
  /** The model behind the estimate, named so that a reader can judge it. */
  model: string;
}

/** What fixing a finding gains: measured (window, method) or estimated (model), never a bare number. */
export type Gain = MeasuredGain | EstimatedGain;

/** A gain observed before and after, over a window, by a named method (e.g. a paired comparison). */
export const MeasuredGainSchema = z.strictObject({
  kind: z.literal("measured"),
  value: z.number(),
  unit: z.string().min(1),
  window: WindowSchema,
  method: z.string().min(1),
}) satisfies z.ZodType<MeasuredGain>;

/** A gain not yet observed: the model that predicts it must be named. */
export const EstimatedGainSchema = z.strictObject({
  kind: z.literal("estimated"),
  value: z.number(),
  unit: z.string().min(1),
  model: z.string().min(1),
}) satisfies z.ZodType<EstimatedGain>;

/** A MeasuredGain or an EstimatedGain, told apart by `kind`. */
export const GainSchema = z.discriminatedUnion("kind", [
  MeasuredGainSchema,
  EstimatedGainSchema,
]) satisfies z.ZodType<Gain>;

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

/**
 * What to do about a finding: `sql` with the `rollback` that undoes it, a `patch` of the suite's config (a
 * partial OptimizationConfig), or `guidance` text for a person.
 */
export type Action =
  | { kind: "sql"; sql: string; rollback: string }
  | { kind: "config"; patch: Record<string, unknown> }
  | { kind: "guidance"; text: string };

/** What to do: SQL with the SQL that undoes it, a patch of the suite's config, or guidance for a person. */
export const ActionSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("sql"), sql: z.string().min(1), rollback: z.string().min(1) }),
  z.strictObject({ kind: z.literal("config"), patch: ConfigPatchSchema }),
  z.strictObject({ kind: z.literal("guidance"), text: z.string().min(1) }),
]) satisfies z.ZodType<Action>;

/** One thing the suite reports or does (see the top of this file); build it with createFinding(). */
export interface Finding {
  /** The rule that fired, in dotted kebab-case, e.g. `pipeline.job-inactive`. */
  rule: string;
  /** The part of the project the finding is about. */
  system: FindingSystem;
  /** What the finding is about, e.g. `cron.job:optimizer-rollup` or `index:public.robots(user_id)`. */
  subject: string;
  /** How urgent it is. */
  severity: Severity;
  /** One line for lists, at most 200 characters. */
  title: string;
  /** What was found, with its figures, and what to do about it. */
  detail: string;
  /** What the finding rests on. */
  evidence: Evidence;
  /** What fixing it gains; null where there is no figure to gain (a broken job is fixed, not improved). */
  gain: Gain | null;
  /** What to do about it. */
  action: Action;
  /** Whether the suite may take `action` by itself. */
  autoApplicable: boolean;
  /** The finding's name across runs (see fingerprint()): 64 lowercase hex digits. */
  fingerprint: string;
}

const fingerprintPattern = /^[0-9a-f]{64}$/;

/**
 * Validates a Finding, its fingerprint included: a finding whose fingerprint does not match its rule, system
 * and subject is refused (build findings with createFinding()).
 */
export const FindingSchema: z.ZodType<Finding> = z.strictObject({
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
