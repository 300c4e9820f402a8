/**
 * `npm run bench:advisor`: how long the workload index advisor takes for 200 statements over 50 tables
 * (the target: under 5 s on a 2-core machine, so that a refresh leaves room for the other analyzers within
 * limits.maxRunDurationSeconds, 60 s by default). On a stack of its own it builds 50 tables, runs 200 distinct
 * statements between two database snapshots, as an app would, then times the advisor over that window
 * `--repeats` times (default 5) and prints the median with the spread. Writes DIR/advisor-latest.json and .md.
 *
 * Options: --repeats N, --rows N (rows per table, default 2000), --out DIR (default bench/results).
 */
import { parseArgs } from "node:util";
import postgres from "postgres";
import { startStack } from "../scripts/stack/mod.ts";
import { freePorts } from "../scripts/stack/ports.ts";
import { createIndexAdvisor } from "../shared/advisor/index_advisor.ts";
import { parseConfig } from "../shared/config/config.ts";
import type { Sql } from "../shared/db/client.ts";
import { median } from "./stats/percentile.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    repeats: { type: "string", default: "5" },
    rows: { type: "string", default: "2000" },
    out: { type: "string", default: "bench/results" },
  },
});
const repeats = Number(values.repeats);
const rows = Number(values.rows);
for (const [name, value] of [["repeats", repeats], ["rows", rows]] as const) {
  if (!(Number.isInteger(value) && value >= 1)) {
    console.error(`--${name} must be a whole number >= 1: got ${value}`);
    Deno.exit(2);
  }
}

const tables = 50;
/** Four query shapes per table: equality, two-column equality, a sorted page of a range, an expression. */
const shapes = (t: string) => [
  `select * from bench.${t} where a = $1`,
  `select id, c from bench.${t} where a = $1 and b = $2`,
  `select id, d from bench.${t} where b = $1 and d > $2 order by d desc limit 10`,
  `select id from bench.${t} where lower(c) = $1`,
];
const callsPerStatement = 3;

const log = (text: string) =>
  console.error(`[${((performance.now() - started) / 1000).toFixed(0)} s] ${text}`);
const started = performance.now();
const stackDir = await Deno.makeTempDir({ prefix: "autopilot-advisor-speed-" });
await Deno.chmod(stackDir, 0o755);
const [gatewayPort, pgPort] = freePorts(2, 57_100);
log("starting a stack of its own");
const stack = await startStack({ stackDir, gatewayPort, pgPort, log: () => {} });
const sql = postgres(stack.env.SUPABASE_DB_URL, { prepare: false, max: 1, onnotice: () => {} });
try {
  log(`building ${tables} tables of ${rows} rows`);
  await sql`create schema bench`;
  const names = Array.from({ length: tables }, (_, i) => `t${String(i + 1).padStart(2, "0")}`);
  for (const t of names) {
    await sql.unsafe(`
      create table bench.${t} (id bigint generated always as identity primary key, a int, b int, c text,
        d timestamptz);
      insert into bench.${t} (a, b, c, d)
        select i % 500, i % 37, 'name ' || (i % 1000), now() - make_interval(mins => i)
        from generate_series(1, ${rows}) i;
      analyze bench.${t};`);
  }

  log(`running ${tables * 4} statements ${callsPerStatement} times each between two snapshots`);
  await sql`select pg_catalog.pg_stat_force_next_flush()`;
  const [{ from }] = await sql`select clock_timestamp() as from`;
  await sql`select optimizer.take_db_snapshot()`;
  for (const t of names) {
    const [eq, pair, page, expression] = shapes(t);
    for (let call = 0; call < callsPerStatement; call++) {
      await sql.unsafe(eq, [call]);
      await sql.unsafe(pair, [call, call]);
      await sql.unsafe(page, [call, new Date(0)]);
      await sql.unsafe(expression, [`name ${call}`]);
    }
  }
  await sql`select pg_catalog.pg_stat_force_next_flush()`;
  await sql`select 1`;
  await sql`select optimizer.take_db_snapshot()`;
  const [{ to }] = await sql`select clock_timestamp() as to`;

  const advisor = createIndexAdvisor({ maxStatements: tables * 4 });
  const seconds: number[] = [];
  let last = { findings: 0, analyzed: "" };
  for (let i = 0; i < repeats; i++) {
    log(`advisor run ${i + 1} of ${repeats}`);
    const t0 = performance.now();
    const result = await advisor.analyze({
      sql: sql as unknown as Sql,
      now: new Date(),
      config: parseConfig({}),
      window: { from, to },
      deadline: Date.now() + 120_000,
    });
    seconds.push((performance.now() - t0) / 1000);
    last = {
      findings: result.findings.length,
      analyzed: result.notes.find((note) => /statement\(s\) analyzed/.test(note)) ?? "",
    };
  }

  const s = { median: median(seconds)!, min: Math.min(...seconds), max: Math.max(...seconds) };
  const measuredAt = new Date().toISOString();
  const markdown = [
    "# Index advisor speed",
    "",
    `Measured ${measuredAt} with \`npm run bench:advisor\` on ${navigator.hardwareConcurrency} cores: ` +
    `${tables} tables of ${rows} rows, ${tables * 4} statements, ${repeats} runs.`,
    "",
    "| statements | tables | seconds, median (min–max) | findings |",
    "| --- | --- | --- | --- |",
    `| ${tables * 4} | ${tables} | ${s.median.toFixed(2)} (${s.min.toFixed(2)}–${
      s.max.toFixed(2)
    }) | ${last.findings} |`,
    "",
    `Advisor's note: ${last.analyzed}`,
    "",
  ].join("\n");
  await Deno.mkdir(values.out, { recursive: true });
  await Deno.writeTextFile(
    `${values.out}/advisor-latest.json`,
    JSON.stringify(
      { measuredAt, tables, rows, statements: tables * 4, seconds, findings: last.findings },
      null,
      2,
    ) +
      "\n",
  );
  await Deno.writeTextFile(`${values.out}/advisor-latest.md`, markdown);
  console.log(markdown);
} finally {
  await sql.end();
  await stack.stop();
  await Deno.remove(stackDir, { recursive: true }).catch(() => {});
}
