/**
 * How the upstream quote server misbehaves, as pure functions of seeds and times: how long an answer takes
 * (log-normal from a median and a p99, or any distribution), whether a request fails at random, and whether
 * it falls inside an outage window. upstream.ts applies them to real requests.
 */

import { normal } from "../trace/prng.ts";

/** Standard normal quantile for 0.99. */
const z99 = 2.3263478740408408;

/** A latency distribution: one sample in ms from uniforms of `random`. */
export type LatencyDistribution = (random: () => number) => number;

export interface LatencyPercentiles {
  median: number;
  p99: number;
}

/**
 * Log-normal latencies with the given median and 99th percentile, the usual shape of a remote API's
 * response times (a floor of work and a long right tail).
 */
export function logNormalLatency(percentiles: LatencyPercentiles): LatencyDistribution {
  const { mu, sigma } = logNormalParameters(percentiles);
  if (percentiles.median === 0) return () => 0;
  return (random) => Math.exp(mu + sigma * normal(random));
}

/**
 * The share of `logNormalLatency(percentiles)`'s answers that take longer than `ms`: what the model says,
 * exactly, where a sample of it would only come near.
 */
export function logNormalShareAbove(percentiles: LatencyPercentiles, ms: number): number {
  const { mu, sigma } = logNormalParameters(percentiles);
  if (percentiles.median === 0) return 0;
  if (sigma === 0 || ms <= 0) return ms < percentiles.median ? 1 : 0;
  return erfc((Math.log(ms) - mu) / (sigma * Math.SQRT2)) / 2;
}

function logNormalParameters({ median, p99 }: LatencyPercentiles): { mu: number; sigma: number } {
  if (!(Number.isFinite(median) && median >= 0)) {
    throw new RangeError(`latencyMs.median must be a number of ms >= 0: got ${median}`);
  }
  if (!(Number.isFinite(p99) && p99 >= median)) {
    throw new RangeError(`latencyMs.p99 must be a number of ms >= the median (${median}): got ${p99}`);
  }
  const mu = Math.log(median);
  return { mu, sigma: median === 0 ? 0 : (Math.log(p99) - mu) / z99 };
}

/** Numerical Recipes' Chebyshev fit of erfc, lowest power first. */
const erfcFit = [
  -1.26551223,
  1.00002368,
  0.37409196,
  0.09678418,
  -0.18628806,
  0.27886807,
  -1.13520398,
  1.48851587,
  -0.82215223,
  0.17087277,
];

/** The complementary error function, to a relative error under 1.2e-7. */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + z / 2);
  const r = t * Math.exp(-z * z + erfcFit.reduceRight((sum, c) => c + t * sum, 0));
  return x >= 0 ? r : 2 - r;
}

/** A window in trace milliseconds since the server's start, end exclusive. */
export interface OutageWindow {
  startMs: number;
  endMs: number;
}

/** Either windows relative to the start, or any rule of the current time (epoch ms). */
export type Outages = OutageWindow[] | ((nowMs: number) => boolean);

export function validateOutageWindows(windows: OutageWindow[]): OutageWindow[] {
  windows.forEach((window, i) => {
    if (
      !(Number.isFinite(window.startMs) && Number.isFinite(window.endMs) && window.endMs > window.startMs)
    ) {
      throw new RangeError(
        `outages[${i}] must have finite startMs < endMs (trace ms since the start): got ${
          JSON.stringify(window)
        }`,
      );
    }
  });
  return windows;
}

/**
 * Whether the upstream is down at real time nowMs. Windows are in trace time: with timeCompression c, real
 * time elapsed since startedAtMs stands for c times as much trace time.
 */
export function inOutage(
  outages: Outages,
  nowMs: number,
  startedAtMs: number,
  timeCompression = 1,
): boolean {
  if (typeof outages === "function") return outages(nowMs);
  const traceMs = (nowMs - startedAtMs) * timeCompression;
  return outages.some((window) => traceMs >= window.startMs && traceMs < window.endMs);
}
