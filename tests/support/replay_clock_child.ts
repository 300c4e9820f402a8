/**
 * A replay that never ends, on the suite's clock sped up 60x (onReplayClock()), for the test that interrupts
 * it: prints "sped up" once the clock runs fast, then waits to be stopped.
 */
import { onReplayClock } from "../../bench/harness/suite_warmer.ts";

await onReplayClock(Deno.env.get("SUPABASE_DB_URL")!, 60, () => {
  console.log("sped up");
  return new Promise<never>(() => {});
});
