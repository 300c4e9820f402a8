import { parseArgs } from "node:util";
import { DAY_MS, HOUR_MS, MINUTE_MS } from "../../shared/time.ts";

/**
 * The command line of `npm run advise`, parsed and checked without touching anything: a bad argument is an
 * error that says what to pass (exit code 2).
 */

/** What `npm run advise` was asked to do. */
export interface AdviseOptions {
  /** The Postgres connection string to analyze. */
  dbUrl: string;
  /** Print JSON rather than the readable report. */
  json: boolean;
  /** List the rejected candidates with their reasons in the readable report. */
  verbose: boolean;
  /** The history analyzed, ending now, in ms. */
  windowMs: number;
  /** The window as given, e.g. `24h`. */
  window: string;
}

/** The outcome of parsing: options to run with, a request for help, or what is wrong. */
export type AdviseArgs =
  | { kind: "run"; options: AdviseOptions }
  | { kind: "help" }
  | { kind: "error"; message: string };

/** The window analyzed when --window is not given: the last day, as a refresh analyzes. */
export const defaultWindow = "24h";

export const adviseUsage =
  `Usage: npm run advise -- --db-url <postgres url> [--json] [--window 24h] [--verbose]

Runs the recommendations analysis against any Postgres 15+ with pg_stat_statements and hypopg, and prints
the findings. It changes nothing in the database.

  --db-url <url>   connection string, e.g. postgresql://postgres:secret@localhost:5432/postgres
  --json           print JSON: findings, rejected, notes, analyzers and the result shape
  --window <span>  history to analyze: minutes, hours or days, e.g. 30m, 24h, 7d (default ${defaultWindow})
  --verbose        also list the candidates that were rejected, with their reasons
  --help           print this help`;

const units: Record<string, number> = { m: MINUTE_MS, h: HOUR_MS, d: DAY_MS };

/** Pure: the window in ms from `30m`, `24h` or `7d`; null when it is not one of those forms. */
export function parseWindow(text: string): number | null {
  const match = /^([1-9][0-9]{0,5})([mhd])$/.exec(text);
  return match ? Number(match[1]) * units[match[2]] : null;
}

/** Pure: parses the arguments after `npm run advise --`. */
export function parseAdviseArgs(args: readonly string[]): AdviseArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: {
        "db-url": { type: "string" },
        json: { type: "boolean", default: false },
        verbose: { type: "boolean", default: false },
        window: { type: "string", default: defaultWindow },
        help: { type: "boolean", default: false },
      },
    }));
  } catch (error) {
    return { kind: "error", message: `${(error as Error).message}\n\n${adviseUsage}` };
  }
  if (values.help) return { kind: "help" };
  const dbUrl = values["db-url"];
  if (!dbUrl) {
    return {
      kind: "error",
      message: "--db-url is required: pass the database's connection string, e.g. " +
        "--db-url postgresql://postgres:secret@localhost:5432/postgres",
    };
  }
  if (!/^postgres(ql)?:\/\//.test(dbUrl)) {
    return {
      kind: "error",
      message: "--db-url must be a postgres:// or postgresql:// connection string: got something else",
    };
  }
  const windowMs = parseWindow(values.window);
  if (windowMs === null) {
    return {
      kind: "error",
      message:
        `--window must be a whole number of minutes, hours or days such as 30m, 24h or 7d: got '${values.window}'`,
    };
  }
  return {
    kind: "run",
    options: { dbUrl, json: values.json, verbose: values.verbose, windowMs, window: values.window },
  };
}
