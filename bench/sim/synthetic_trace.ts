/**
 * A simple seeded trace for the simulation's own benchmark and property tests, independent of the real trace
 * generator (bench/trace): requests of three functions on a diurnal curve (quiet nights with gaps longer than a
 * worker's lifetime), Zipf-popular users, robots and symbols, and a share of writes. Requests are built minute
 * by minute, so memory follows the output only.
 */
import type { SimRequest } from "./run.ts";

export interface SyntheticTraceOptions {
  seed: number;
  days: number;
  /** Mean requests per day, all functions together. */
  requestsPerDay: number;
  users: number;
  robotsPerUser: number;
  symbols: number;
  /** Share of robots / robot-chat requests that are writes. */
  writeShare: number;
  /** Zipf exponent of users, robots and symbols. */
  zipfExponent: number;
}

export const syntheticTraceDefaults: SyntheticTraceOptions = {
  seed: 1,
  days: 14,
  requestsPerDay: 72_000,
  users: 2_000,
  robotsPerUser: 8,
  symbols: 40,
  writeShare: 0.08,
  zipfExponent: 1.1,
};

const minuteMs = 60_000;
const dayMinutes = 24 * 60;

/** mulberry32: small, fast and good enough for workload shapes. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function zipfSampler(n: number, exponent: number, random: () => number): () => number {
  const cdf = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) cdf[i] = total += 1 / (i + 1) ** exponent;
  return () => {
    const target = random() * total;
    let low = 0;
    let high = n - 1;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (cdf[mid] < target) low = mid + 1;
      else high = mid;
    }
    return low;
  };
}

function poisson(mean: number, random: () => number): number {
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * gaussian(random)));
  const limit = Math.exp(-mean);
  let k = 0;
  let product = random();
  while (product > limit) {
    k++;
    product *= random();
  }
  return k;
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** Relative traffic by minute of day: near zero at night, a morning rise, an evening peak. */
export function diurnalShape(minuteOfDay: number): number {
  const hour = minuteOfDay / 60;
  const day = Math.max(0, Math.sin(((hour - 6) / 18) * Math.PI));
  return 0.01 + day ** 1.5;
}

const readEndpoints = [
  { endpoint: "robots.list", fn: "robots", weight: 30 },
  { endpoint: "robots.get", fn: "robots", weight: 25 },
  { endpoint: "robots.search", fn: "robots", weight: 8 },
  { endpoint: "chat.list", fn: "robot-chat", weight: 12 },
  { endpoint: "market.quote", fn: "market-data", weight: 15 },
  { endpoint: "market.candles", fn: "market-data", weight: 10 },
] as const;

export function* syntheticTrace(partial: Partial<SyntheticTraceOptions> = {}): Generator<SimRequest> {
  const o = { ...syntheticTraceDefaults, ...partial };
  const random = seededRandom(o.seed);
  const user = zipfSampler(o.users, o.zipfExponent, random);
  const robot = zipfSampler(o.robotsPerUser, o.zipfExponent, random);
  const symbol = zipfSampler(o.symbols, o.zipfExponent, random);
  let shapeTotal = 0;
  for (let m = 0; m < dayMinutes; m++) shapeTotal += diurnalShape(m);
  const totalWeight = readEndpoints.reduce((sum, e) => sum + e.weight, 0);
  const times: number[] = [];
  for (let minute = 0; minute < o.days * dayMinutes; minute++) {
    const mean = (o.requestsPerDay * diurnalShape(minute % dayMinutes)) / shapeTotal;
    times.length = 0;
    for (let n = poisson(mean, random); n > 0; n--) {
      times.push(minute * minuteMs + Math.floor(random() * minuteMs));
    }
    times.sort((a, b) => a - b);
    for (const atMs of times) {
      let pick = random() * totalWeight;
      const read = readEndpoints.find((e) => (pick -= e.weight) < 0) ?? readEndpoints[0];
      const userIndex = user();
      if (read.fn !== "market-data" && random() < o.writeShare) {
        const write = read.fn === "robot-chat" ? "chat.append" : "robots.update";
        yield { atMs, fn: read.fn, endpoint: write, userIndex, key: "" };
        continue;
      }
      const key = read.fn === "market-data"
        ? `${read.endpoint}:s${symbol()}`
        : read.endpoint === "robots.list"
        ? `${read.endpoint}:u${userIndex}`
        : `${read.endpoint}:u${userIndex}:r${robot()}`;
      yield { atMs, fn: read.fn, endpoint: read.endpoint, userIndex, key };
    }
  }
}
