/**
 * Loads the QuantForge reference app into the stack named by the environment (or the running local stack,
 * or one started for this run):
 *
 *   deno run -A bench/reference_app/data/cli.ts --scale small|medium|large|<robots> --seed N \
 *     --variant pk-only|shipped-indexes [--now ISO] [--snapshot]
 *
 * Prints the counts and the time of each phase; --snapshot also keeps the pristine copy restores use.
 */
import { parseArgs } from "node:util";
import postgres from "postgres";
import { leaseStack } from "../../../scripts/with_stack.ts";
import { type LoadPhase, loadReferenceData, snapshotReferenceData, type Variant, variants } from "./load.ts";
import { minuteMs } from "./market.ts";
import { parseScale, referenceDataDefaults } from "./options.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    scale: { type: "string", default: referenceDataDefaults.scale },
    seed: { type: "string", default: String(referenceDataDefaults.seed) },
    variant: { type: "string", default: "pk-only" },
    now: { type: "string" },
    snapshot: { type: "boolean", default: false },
  },
});

const scale = parseScale(values.scale);
const seed = Number(values.seed);
if (!Number.isInteger(seed) || seed < 0) {
  throw new RangeError(`--seed must be a whole number >= 0: got ${values.seed}`);
}
if (!variants.includes(values.variant as Variant)) {
  throw new RangeError(`--variant must be ${variants.join(" or ")}: got '${values.variant}'`);
}
const variant = values.variant as Variant;
// Whole minutes, so that a run can be repeated exactly with the --now it prints.
const now = values.now ?? new Date(Math.floor(Date.now() / minuteMs) * minuteMs).toISOString();

const lease = await leaseStack();
const sql = postgres(lease.env.SUPABASE_DB_URL, { max: 2, prepare: false, onnotice: () => {} });
const startedAt = performance.now();
let lastPhase: LoadPhase | null = null;
let lastPrint = 0;
try {
  console.log(`loading reference data: scale ${values.scale}, seed ${seed}, variant ${variant}, now ${now}`);
  console.log(`into the ${lease.source} (${lease.env.SUPABASE_DB_URL.replace(/:[^:@/]*@/, ":***@")})`);
  const result = await loadReferenceData(sql, {
    scale,
    seed,
    now,
    variant,
    onProgress: ({ phase, rows, total }) => {
      const elapsed = (performance.now() - startedAt) / 1000;
      if (phase === lastPhase && elapsed - lastPrint < 2 && rows < total) return;
      lastPhase = phase;
      lastPrint = elapsed;
      console.log(`  [${elapsed.toFixed(1)} s] ${phase}${total > 0 ? ` ${rows}/${total}` : ""}`);
    },
  });
  console.log("counts ", JSON.stringify(result.counts));
  console.log("timings", JSON.stringify(result.timings), "(ms; robots+messages run beside candles)");
  if (values.snapshot) {
    const snapshot = await snapshotReferenceData(sql);
    console.log(`snapshot: ${snapshot.robots} robots, ${snapshot.messages} messages in ${snapshot.ms} ms`);
  }
} finally {
  await sql.end();
  await lease.release();
}
