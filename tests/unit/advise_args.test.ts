import assert from "node:assert/strict";
import { parseAdviseArgs, parseWindow } from "../../scripts/advise/args.ts";
import { DAY_MS, HOUR_MS, MINUTE_MS } from "../../shared/time.ts";

const url = "postgresql://postgres:secret@localhost:5432/postgres";

Deno.test("parseAdviseArgs() defaults to the readable report over the last 24 h", () => {
  assert.deepEqual(parseAdviseArgs(["--db-url", url]), {
    kind: "run",
    options: { dbUrl: url, json: false, verbose: false, windowMs: DAY_MS, window: "24h" },
  });
});

Deno.test("parseAdviseArgs() takes --json, --verbose and --window", () => {
  const parsed = parseAdviseArgs([`--db-url=${url}`, "--json", "--verbose", "--window", "7d"]);
  assert.deepEqual(parsed, {
    kind: "run",
    options: { dbUrl: url, json: true, verbose: true, windowMs: 7 * DAY_MS, window: "7d" },
  });
});

Deno.test("parseWindow() reads minutes, hours and days", () => {
  assert.equal(parseWindow("30m"), 30 * MINUTE_MS);
  assert.equal(parseWindow("24h"), 24 * HOUR_MS);
  assert.equal(parseWindow("7d"), 7 * DAY_MS);
});

Deno.test("parseWindow() refuses zero, units it does not know and fractions", () => {
  for (const text of ["0h", "24", "1w", "1.5h", "-1d", "h", ""]) assert.equal(parseWindow(text), null, text);
});

Deno.test("parseAdviseArgs() says to pass --db-url when it is missing", () => {
  const parsed = parseAdviseArgs(["--json"]);
  assert.equal(parsed.kind, "error");
  assert.match(parsed.kind === "error" ? parsed.message : "", /^--db-url is required: pass/);
});

Deno.test("parseAdviseArgs() refuses a --db-url that is not a postgres connection string", () => {
  const parsed = parseAdviseArgs(["--db-url", "localhost:5432"]);
  assert.match(parsed.kind === "error" ? parsed.message : "", /--db-url must be a postgres:\/\//);
});

Deno.test("parseAdviseArgs() names the --window it refuses and the forms it takes", () => {
  const parsed = parseAdviseArgs(["--db-url", url, "--window", "2 weeks"]);
  assert.equal(
    parsed.kind === "error" ? parsed.message : "",
    "--window must be a whole number of minutes, hours or days such as 30m, 24h or 7d: got '2 weeks'",
  );
});

Deno.test("parseAdviseArgs() refuses an unknown option with the usage", () => {
  const parsed = parseAdviseArgs(["--db-url", url, "--apply"]);
  assert.equal(parsed.kind, "error");
  assert.match(parsed.kind === "error" ? parsed.message : "", /--apply[\s\S]*Usage: npm run advise/);
});

Deno.test("parseAdviseArgs() refuses a positional argument", () => {
  assert.equal(parseAdviseArgs(["--db-url", url, "extra"]).kind, "error");
});

Deno.test("parseAdviseArgs() answers --help with help", () => {
  assert.deepEqual(parseAdviseArgs(["--help"]), { kind: "help" });
});
