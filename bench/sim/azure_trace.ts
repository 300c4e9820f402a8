/**
 * Reads a trace in the per-minute layout of the Azure Functions 2019 public dataset
 * ("invocations_per_function_md.anon.d01.csv": `HashOwner,HashApp,HashFunction,Trigger,1,…,1440`, one row per
 * function, invocation counts per minute of a day). Columns are found by header, so their order does not matter:
 * `HashFunction` names the function (with `HashApp`, when present, to tell apart functions of different apps),
 * and every column headed by a whole number n or `minute_n` is minute n, 1-based; other columns (`Trigger`)
 * are ignored. A trace of several days continues the numbering (1441 is the second day's first minute).
 *
 * Each minute's invocations are spread uniformly at random over the minute under the seed, and the requests
 * come out in time order, one minute at a time, so a long trace is never sorted whole.
 */
import { streamRng } from "../trace/prng.ts";
import type { SimRequest } from "./run.ts";
import { MINUTE_MS } from "../../shared/time.ts";

/** A parsed trace: its functions' per-minute counts and the requests they spread into. */
export interface AzureTrace {
  functions: number;
  minutes: number;
  invocations: number;
  durationMs: number;
  /** The requests in time order; each call starts again with the same seeded times. */
  requests(): Iterable<SimRequest>;
}

const minuteHeader = /^(?:minute_)?([1-9]\d*)$/;

/** Parses the CSV text; errors name the line and column at fault. */
export function readAzureTrace(text: string, seed: number): AzureTrace {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== "");
  if (lines.length < 2) throw new Error("trace file: need a header line and at least one function");
  const header = lines[0].split(",").map((cell) => cell.trim());
  const functionColumn = header.indexOf("HashFunction");
  if (functionColumn < 0) {
    throw new Error(`trace file: no HashFunction column in the header: ${lines[0].slice(0, 80)}`);
  }
  const appColumn = header.indexOf("HashApp");
  const minuteColumns: { column: number; minute: number }[] = [];
  header.forEach((name, column) => {
    const match = minuteHeader.exec(name);
    if (match) minuteColumns.push({ column, minute: Number(match[1]) - 1 });
  });
  const minutes = minuteColumns.reduce((max, { minute }) => Math.max(max, minute + 1), 0);
  if (minutes < 1440) {
    throw new Error(`trace file: need at least one day of minute columns (1 to 1440): found ${minutes}`);
  }
  const names: string[] = [];
  const counts: Uint32Array[] = [];
  let invocations = 0;
  for (let i = 1; i < lines.length; i++) {
    const cells = lines[i].split(",");
    if (cells.length !== header.length) {
      throw new Error(`trace file line ${i + 1}: ${cells.length} cells, the header has ${header.length}`);
    }
    const row = new Uint32Array(minutes);
    for (const { column, minute } of minuteColumns) {
      const cell = cells[column].trim();
      const value = cell === "" ? 0 : Number(cell);
      if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
        throw new Error(
          `trace file line ${i + 1}, column ${header[column]}: "${cell}" is not a whole count >= 0`,
        );
      }
      row[minute] = value;
      invocations += value;
    }
    const fn = cells[functionColumn].trim();
    names.push(appColumn >= 0 ? `${cells[appColumn].trim()}/${fn}` : fn);
    counts.push(row);
  }
  return {
    functions: names.length,
    minutes,
    invocations,
    durationMs: minutes * MINUTE_MS,
    *requests() {
      const random = streamRng(seed, "azure-trace");
      const minuteRequests: SimRequest[] = [];
      for (let minute = 0; minute < minutes; minute++) {
        minuteRequests.length = 0;
        for (let f = 0; f < names.length; f++) {
          for (let k = counts[f][minute]; k > 0; k--) {
            const atMs = Math.floor((minute + random()) * MINUTE_MS);
            minuteRequests.push({ atMs, fn: names[f], endpoint: names[f], userIndex: 0, key: "" });
          }
        }
        minuteRequests.sort((a, b) => a.atMs - b.atMs);
        yield* minuteRequests;
      }
    },
  };
}
