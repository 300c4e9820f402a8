/**
 * `npm run bench:costs`: only the suite-costs part of `npm run bench`, on a stack of its own (cold starts,
 * ingest under load, then series and status at 10^5, 10^6 and 10^7 raw events, with the series' percentile
 * error against the exact percentiles of the raw events). Prints the tables and writes them, with the
 * figures as JSON, to DIR/costs-<time>.json and .md and DIR/costs-latest.json and .md.
 *
 * Options: --quick (10^5 and 10^6 events, fewer repeats), --out DIR (default bench/results).
 */
import { parseArgs } from "node:util";
import { measureSuiteCosts, suiteCostQuick, suiteCostsMarkdown } from "./harness/suite_costs.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    quick: { type: "boolean", default: false },
    out: { type: "string", default: "bench/results" },
  },
});

const started = performance.now();
const costs = await measureSuiteCosts({
  ...(values.quick ? suiteCostQuick : {}),
  onPhase: (text) => console.error(`[${((performance.now() - started) / 1000).toFixed(0)} s] ${text}`),
});
const minutes = (performance.now() - started) / 60_000;
const measuredAt = new Date().toISOString();
const command = `npm run bench:costs${values.quick ? " -- --quick" : ""}`;
const markdown = [
  `# What the suite itself costs`,
  "",
  `Measured ${measuredAt} with \`${command}\` in ${minutes.toFixed(1)} minutes.`,
  "",
  suiteCostsMarkdown(costs),
  "",
].join("\n");
await Deno.mkdir(values.out, { recursive: true });
const stamp = measuredAt.replace(/[:.]/g, "-");
for (const name of [`costs-${stamp}`, "costs-latest"]) {
  await Deno.writeTextFile(
    `${values.out}/${name}.json`,
    JSON.stringify({ measuredAt, command, minutes, costs }, null, 2) + "\n",
  );
  await Deno.writeTextFile(`${values.out}/${name}.md`, markdown);
}
console.log(markdown);
console.log(`Written: ${values.out}/costs-latest.json and ${values.out}/costs-latest.md`);
