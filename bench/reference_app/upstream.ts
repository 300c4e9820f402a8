/**
 * The upstream quote service the market-data function calls (QuantForge reads public quote APIs): a real
 * HTTP server on 127.0.0.1 that the harness starts, with a latency distribution, a random error rate and
 * outage windows. During an outage it answers 503 at once or hangs (past any sane client timeout), as real
 * providers do.
 *
 *   GET /quote?symbol=EURUSD&timeframe=M5   200 Quote (quote_walk.ts) | 400 | 500 (random error) | 503 (outage)
 *   GET /health                              200 {"ok":true}, never delayed or failed
 */
import { marketSymbols } from "./data/market.ts";
import { quoteAt, type SymbolMarket } from "./quote_walk.ts";
import { isTimeframe, timeframes } from "./timeframes.ts";
import {
  inOutage,
  type LatencyDistribution,
  type LatencyPercentiles,
  logNormalLatency,
  type Outages,
  validateOutageWindows,
} from "./upstream_behaviour.ts";
import { createRng } from "../trace/prng.ts";

export interface UpstreamOptions {
  /** 0 picks a free port. */
  port: number;
  /** Response time of a normal answer: a median and p99 (log-normal), or any distribution. */
  latencyMs: LatencyPercentiles | LatencyDistribution;
  /** Fraction of requests outside outages answered 500. */
  errorRate: number;
  /** Windows in trace ms since the start (see timeCompression), or a rule of the real time. */
  outages: Outages;
  /** What an outage looks like to a client: an immediate 503, or no answer for hangMs. */
  outageMode: "503" | "hang";
  /** How long a hanging request is held before it finally gets its 503 (the client has usually given up). */
  hangMs: number;
  /** Seeds the latencies, the random errors and the prices. */
  seed: number;
  /** Trace ms per real ms: outage windows and quote times run this much faster than the wall clock. */
  timeCompression: number;
  /** Epoch ms of trace time zero, the time of the first quote (defaults to the real start time). */
  traceStartMs?: number;
  /** Real epoch ms; tests pass a fake. */
  now: () => number;
  /** Price level and volatility per symbol; defaults to the reference data's symbols (data/market.ts). */
  market: (symbol: string) => SymbolMarket | undefined;
}

export interface UpstreamStats {
  requests: number;
  /** Quotes answered 200. */
  served: number;
  /** Random 500s (outside outages). */
  errors: number;
  /** Requests that arrived during an outage (answered 503 or left hanging). */
  duringOutage: number;
  /** Requests refused as malformed (400/404). */
  rejected: number;
}

export interface RunningUpstream {
  /** http://127.0.0.1:<port> (UPSTREAM_URL for the market-data function). */
  url: string;
  port: number;
  setOutages(outages: Outages): void;
  stats(): UpstreamStats;
  /** Stops listening; hanging and delayed requests are answered 503 at once so nothing holds the process. */
  stop(): Promise<void>;
}

const referenceMarkets = new Map(marketSymbols.map((entry) => [entry.symbol, entry]));

/** Quotes agree with the reference app's candles: the same base prices and daily volatilities. */
function referenceMarket(symbol: string): SymbolMarket | undefined {
  return referenceMarkets.get(symbol);
}

/** The quote service's response time unless a run sets another: what the benchmark's scenarios get. */
export const defaultLatencyMs: LatencyPercentiles = { median: 40, p99: 250 };

export const upstreamDefaults: UpstreamOptions = {
  port: 0,
  latencyMs: defaultLatencyMs,
  errorRate: 0,
  outages: [],
  outageMode: "503",
  hangMs: 30_000,
  seed: 1,
  timeCompression: 1,
  now: () => Date.now(),
  market: referenceMarket,
};

function resolveOptions(partial: Partial<UpstreamOptions>): UpstreamOptions {
  const options = { ...upstreamDefaults, ...partial };
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
    throw new RangeError(`port must be an integer between 0 and 65535: got ${options.port}`);
  }
  if (!(options.errorRate >= 0 && options.errorRate <= 1)) {
    throw new RangeError(`errorRate must be a fraction between 0 and 1: got ${options.errorRate}`);
  }
  if (options.outageMode !== "503" && options.outageMode !== "hang") {
    throw new RangeError(`outageMode must be "503" or "hang": got ${JSON.stringify(options.outageMode)}`);
  }
  if (!(Number.isFinite(options.hangMs) && options.hangMs >= 0)) {
    throw new RangeError(`hangMs must be a number of ms >= 0: got ${options.hangMs}`);
  }
  if (!(Number.isFinite(options.timeCompression) && options.timeCompression > 0)) {
    throw new RangeError(
      `timeCompression must be > 0 (trace ms per real ms): got ${options.timeCompression}`,
    );
  }
  if (!Number.isInteger(options.seed)) throw new RangeError(`seed must be an integer: got ${options.seed}`);
  if (Array.isArray(options.outages)) validateOutageWindows(options.outages);
  return options;
}

function json(status: number, body: unknown): Response {
  return Response.json(body, { status, headers: { "cache-control": "no-store" } });
}

export async function startUpstream(partial: Partial<UpstreamOptions> = {}): Promise<RunningUpstream> {
  const options = resolveOptions(partial);
  const sampleLatency = typeof options.latencyMs === "function"
    ? options.latencyMs
    : logNormalLatency(options.latencyMs);
  const random = createRng(options.seed);
  const startedAtMs = options.now();
  const traceStartMs = options.traceStartMs ?? startedAtMs;
  let outages = options.outages;
  const counts: UpstreamStats = { requests: 0, served: 0, errors: 0, duringOutage: 0, rejected: 0 };
  const stopping = new AbortController();

  /**
   * Resolves after ms, or at once when the server stops. A client's hang-up is not watched: Deno's
   * request.signal also fires after successful answers (and warns about it), and a held request costs only a
   * timer until hangMs or stop().
   */
  function pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (stopping.signal.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        stopping.signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      stopping.signal.addEventListener("abort", done);
    });
  }

  async function handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/health") return json(200, { ok: true });
    counts.requests++;
    if (request.method !== "GET" || url.pathname !== "/quote") {
      counts.rejected++;
      return json(404, { error: `no route ${request.method} ${url.pathname}: use GET /quote` });
    }
    const symbol = url.searchParams.get("symbol") ?? "";
    const timeframe = url.searchParams.get("timeframe") ?? "M1";
    if (!/^[A-Za-z0-9._-]{1,20}$/.test(symbol) || !isTimeframe(timeframe)) {
      counts.rejected++;
      return json(400, {
        error: `symbol must be 1-20 letters, digits, . _ - and timeframe one of ${timeframes.join(", ")}`,
      });
    }
    const arrivedMs = options.now();
    if (inOutage(outages, arrivedMs, startedAtMs, options.timeCompression)) {
      counts.duringOutage++;
      if (options.outageMode === "hang") await pause(options.hangMs);
      return json(503, { error: "quote service unavailable" });
    }
    // Draw both numbers on arrival so the sequence depends only on the order of requests.
    const latency = sampleLatency(random);
    const fails = random() < options.errorRate;
    await pause(latency);
    if (fails) {
      counts.errors++;
      return json(500, { error: "quote service error" });
    }
    counts.served++;
    const traceMs = traceStartMs + (arrivedMs - startedAtMs) * options.timeCompression;
    return json(200, quoteAt(options.seed, symbol, timeframe, traceMs, options.market(symbol)));
  }

  return await new Promise((resolve) => {
    const server = Deno.serve({
      hostname: "127.0.0.1",
      port: options.port,
      onListen: ({ port }) =>
        resolve({
          url: `http://127.0.0.1:${port}`,
          port,
          setOutages(next) {
            if (Array.isArray(next)) validateOutageWindows(next);
            outages = next;
          },
          stats: () => ({ ...counts }),
          async stop() {
            stopping.abort();
            await server.shutdown();
          },
        }),
    }, handle);
  });
}
