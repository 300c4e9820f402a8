import {
  type CountSeries,
  type ForecastStore,
  type ForecastTarget,
  MINUTE_MS,
  regularSeries,
  type StoredForecast,
} from "../../shared/mod.ts";

/**
 * An in-memory ForecastStore for in-process tests: every edge target is `robots` with `perMinute(atMs)` events a
 * minute, the statements are those of `statements` (queryid: calls a minute), and every call is recorded in
 * `calls`. `failOnSave` makes save() throw, as a lost connection would; `latest` is what latestForecasts()
 * answers.
 */
export function memoryForecastStore(
  perMinute: (atMs: number) => number = () => 4,
  options: {
    failOnSave?: boolean;
    statements?: Record<string, (atMs: number) => number>;
    latest?: StoredForecast[];
  } = {},
) {
  const calls: string[] = [];
  const statements = options.statements ?? {};
  const store: ForecastStore = {
    busiestTargets: (filter) =>
      Promise.resolve(
        filter.system === "edge" ? ["robots"] : filter.system === "db" ? Object.keys(statements) : [],
      ),
    history: (target: ForecastTarget, from: Date, to: Date): Promise<CountSeries> => {
      calls.push(
        `history ${target.system}/${target.target}/${target.kind} ${from.toISOString()}–${to.toISOString()}`,
      );
      const points = [];
      for (let at = from.getTime(); at < to.getTime(); at += MINUTE_MS) {
        points.push({ atMs: at, value: (statements[target.target] ?? perMinute)(at) });
      }
      return Promise.resolve(
        regularSeries(points, { fromMs: from.getTime(), toMs: to.getTime(), stepMs: MINUTE_MS }),
      );
    },
    save: (_runId, target) => {
      if (options.failOnSave) return Promise.reject(new Error("connection lost"));
      calls.push(`save ${target.target}`);
      return Promise.resolve("7");
    },
    latestForecasts: (filter, since) => {
      calls.push(`latest ${filter.system}/${filter.kind} since ${since.toISOString()}`);
      return Promise.resolve(options.latest ?? []);
    },
    score: (settledBefore) => {
      calls.push(`score ${settledBefore.toISOString()}`);
      return Promise.resolve(2);
    },
    accuracy: () => Promise.resolve([]),
    startRun: () => Promise.resolve("41"),
    finishRun: (id, status, _summary, error) => {
      calls.push(`finish ${id} ${status}${error ? `: ${error}` : ""}`);
      return Promise.resolve();
    },
  };
  return { store, calls };
}
